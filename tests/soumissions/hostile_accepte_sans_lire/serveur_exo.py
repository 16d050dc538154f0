"""Bug : le serveur accepte les connexions et les garde, mais ne lit jamais ce que les clients envoient."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

connexions = []
serveur = socket.create_server((HOTE, PORT))
print("Serveur en attente de connexions...")
while True:
    connexion, adresse = serveur.accept()
    connexions.append(connexion)  # oubli : un thread qui lit le nom puis les messages
