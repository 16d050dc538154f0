"""Bug : le serveur ferme chaque connexion aussitôt acceptée (with ... as connexion: sans rien dedans)."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

serveur = socket.create_server((HOTE, PORT))
print("Serveur en attente de connexions...")
while True:
    connexion, adresse = serveur.accept()
    with connexion:
        print(f"Connexion de {adresse[0]}, fermée aussitôt.")
