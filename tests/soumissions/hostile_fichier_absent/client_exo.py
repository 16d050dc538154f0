"""valide : client minimal (le serveur, lui, est mal nommé dans ce rendu)."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))
nom = input("Entrez votre nom : ")
lien = socket.create_connection((HOTE, PORT))
lien.sendall((nom + "\n").encode("utf-8"))
threading.Thread(target=lambda: [print(b.decode("utf-8"), end="") for b in iter(lambda: lien.recv(1024), b"")],
                 daemon=True).start()
while (ligne := input()) != "exit":
    lien.sendall((ligne + "\n").encode("utf-8"))
lien.close()
