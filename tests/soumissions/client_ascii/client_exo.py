"""Bug : le client envoie et décode en ASCII, les accents et emoji sont perdus."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def envoyer(s, texte):
    s.sendall((texte + "\n").encode("ascii", errors="replace"))


def reception(s):
    tampon = b""
    while True:
        morceau = s.recv(4096)
        if not morceau:
            print("Serveur déconnecté.", flush=True)
            os._exit(0)
        tampon += morceau
        while b"\n" in tampon:
            ligne, tampon = tampon.split(b"\n", 1)
            print(ligne.decode("ascii", errors="replace"), flush=True)


pseudo = input("Entrez votre nom : ")
s = socket.socket()
s.connect((HOTE, PORT))
envoyer(s, pseudo)
threading.Thread(target=reception, args=(s,), daemon=True).start()
for saisie in iter(input, "exit"):
    envoyer(s, saisie)
s.shutdown(socket.SHUT_RDWR)
s.close()
