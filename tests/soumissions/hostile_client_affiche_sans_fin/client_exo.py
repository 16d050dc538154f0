"""Bug : une fois connecté, le client affiche « en attente... » sans fin (sortie et erreurs) sans lire le clavier."""
import os
import socket
import sys

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

pseudo = input("Entrez votre nom : ")
canal = socket.create_connection((HOTE, PORT))
canal.sendall(f"{pseudo}\n".encode("utf-8"))
while True:
    print("en attente...")
    print("rien à lire", file=sys.stderr)
