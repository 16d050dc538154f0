"""Bug : quand le serveur ferme, le thread de réception ferme le socket et l'envoi suivant plante (traceback)."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def recevoir_messages(sock):
    while True:
        donnees = sock.recv(2048)
        if not donnees:
            print("Connexion perdue avec le serveur.")
            sock.close()
            return
        print(donnees.decode("utf-8"), end="")


def main():
    nom = input("Entrez votre nom : ")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((HOTE, PORT))
    sock.send((nom + "\n").encode("utf-8"))
    threading.Thread(target=recevoir_messages, args=(sock,), daemon=True).start()
    while True:
        message = input("Vous : ")
        if message == "exit":
            sock.close()
            break
        sock.send((message + "\n").encode("utf-8"))


main()
