"""Bug : le nom est demandé mais jamais envoyé au serveur."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def recevoir(sock):
    while True:
        try:
            donnees = sock.recv(1024)
        except OSError:
            break
        if not donnees:
            print("Connexion fermée par le serveur.")
            os._exit(0)
        print(donnees.decode("utf-8"), end="")


nom = input("Entrez votre nom : ")
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((HOTE, PORT))
threading.Thread(target=recevoir, args=(sock,), daemon=True).start()

while True:
    texte = input()
    if texte == "exit":
        break
    sock.sendall((texte + "\n").encode("utf-8"))

sock.close()
