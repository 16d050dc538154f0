"""Bug : le client affiche l'invite mais ne lit jamais le clavier : il envoie un nom fixe et ne fait que recevoir."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

print("Entrez votre nom : ", end="", flush=True)  # oubli : input()
liaison = socket.create_connection((HOTE, PORT))
liaison.sendall("Anonyme\n".encode("utf-8"))
while True:
    morceau = liaison.recv(1024)
    if not morceau:
        break
    print(morceau.decode("utf-8"), end="", flush=True)
