"""Bug : après exit, le client ferme la connexion mais continue de lire le clavier sans fin."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def recevoir(sock):
    try:
        while True:
            donnees = sock.recv(1024)
            if not donnees:
                return
            print(donnees.decode("utf-8"), end="", flush=True)
    except OSError:
        return


nom = input("Entrez votre nom : ")
sock = socket.create_connection((HOTE, PORT))
sock.sendall((nom + "\n").encode("utf-8"))
threading.Thread(target=recevoir, args=(sock,), daemon=True).start()
connecte = True
while True:  # oubli : break après exit
    texte = input()
    if texte == "exit" and connecte:
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        connecte = False
    elif connecte:
        sock.sendall((texte + "\n").encode("utf-8"))
