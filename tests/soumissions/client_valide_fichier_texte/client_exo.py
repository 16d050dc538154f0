"""Valide : une classe, makefile() pour lire ligne à ligne, sys.stdin parcouru comme un fichier."""
import os
import socket
import sys
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


class Discussion:
    def __init__(self, hote, port):
        self.sock = socket.create_connection((hote, port))
        self.sortie = self.sock.makefile("w", encoding="utf-8", newline="\n")
        self.entree = self.sock.makefile("r", encoding="utf-8")
        self.je_pars = False

    def dire(self, texte):
        self.sortie.write(texte + "\n")
        self.sortie.flush()

    def ecouter(self):
        try:
            for ligne in self.entree:
                sys.stdout.write(ligne)
                sys.stdout.flush()
        except OSError:
            pass
        if not self.je_pars:
            print("*** Le serveur est parti, fin de la discussion. ***", flush=True)
            os._exit(0)

    def partir(self):
        self.je_pars = True
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


print("Entrez votre nom : ", end="", flush=True)
nom = sys.stdin.readline().strip()
discussion = Discussion(HOTE, PORT)
discussion.dire(nom)
threading.Thread(target=discussion.ecouter, daemon=True).start()
for ligne in sys.stdin:
    ligne = ligne.rstrip("\n")
    if ligne == "exit":
        break
    try:
        discussion.dire(ligne)
    except OSError:
        print("*** Envoi impossible, le serveur est parti. ***")
        break
discussion.partir()
