"""Bug : la fonction demarrer() n'est jamais appelée ; le programme attend sans fin sans écouter."""
import os
import socket
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def demarrer():
    serveur = socket.create_server((HOTE, PORT))
    print("Serveur en attente de connexions...")
    while True:
        serveur.accept()


print("Démarrage du serveur...")
while True:  # oubli : demarrer()
    time.sleep(1)
