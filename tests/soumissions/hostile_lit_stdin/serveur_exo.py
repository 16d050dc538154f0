"""Bug : le serveur lit toute son entrée standard (sys.stdin.read()) avant d'écouter : il reste bloqué."""
import os
import socket
import sys

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

reglages = sys.stdin.read()  # attend la fin de l'entrée standard, qui ne vient jamais
serveur = socket.create_server((HOTE, PORT))
print("Serveur en attente de connexions...")
while True:
    serveur.accept()
