"""Bug : le client se connecte au port CHAT_PORT + 1 au lieu de CHAT_PORT."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555")) + 1

prenom = input("Entrez votre nom : ")
prise = socket.create_connection((HOTE, PORT))
prise.sendall((prenom + "\n").encode("utf-8"))
while True:
    prise.sendall((input() + "\n").encode("utf-8"))
