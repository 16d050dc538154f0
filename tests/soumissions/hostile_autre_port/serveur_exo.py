"""Bug : le serveur écoute sur un port choisi par le système (port 0) au lieu de CHAT_PORT."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")

serveur = socket.create_server((HOTE, 0))
print(f"Serveur en attente de connexions sur le port {serveur.getsockname()[1]}...")
while True:
    connexion, adresse = serveur.accept()
    connexion.close()
