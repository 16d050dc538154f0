"""Bug : le client n'envoie pas son nom seul mais écrit lui-même « Nom : message » à chaque envoi."""
import os
import socket
from threading import Thread

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def lire(sock):
    with sock.makefile("r", encoding="utf-8") as flux:
        for ligne in flux:
            print(ligne, end="", flush=True)
    print("Fin de la connexion.", flush=True)
    os._exit(0)


moi = input("Entrez votre nom : ")
sock = socket.create_connection((HOTE, PORT))
Thread(target=lire, args=(sock,), daemon=True).start()
while (texte := input()) != "exit":
    sock.sendall(f"{moi} : {texte}\n".encode("utf-8"))
sock.close()
