"""Bug : après exit, le thread de réception (non daemon) reste bloqué dans recv() et garde le programme en vie."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

connecte = True


def ecouter(connexion):
    global connecte
    while connecte:
        try:
            paquet = connexion.recv(1024)
        except OSError:
            break
        if paquet == b"":
            print("Le serveur a coupé la connexion. Tapez Entrée pour quitter.")
            connecte = False
            break
        print(paquet.decode("utf-8"), end="")


nom = input("Entrez votre nom : ")
connexion = socket.create_connection((HOTE, PORT))
connexion.sendall(f"{nom}\n".encode("utf-8"))
recepteur = threading.Thread(target=ecouter, args=(connexion,))  # oubli : daemon=True
recepteur.start()

while connecte:
    ligne = input("> ")
    if not connecte:
        break
    if ligne == "exit":
        break
    connexion.sendall(f"{ligne}\n".encode("utf-8"))
print("Au revoir.")
