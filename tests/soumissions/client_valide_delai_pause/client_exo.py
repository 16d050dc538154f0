"""Valide : après chaque envoi, une pause de 0,3 s (time.sleep) contre l'inondation."""
import os
import socket
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def recevoir(connexion):
    try:
        with connexion.makefile("r", encoding="utf-8", errors="replace") as flux:
            for ligne in flux:
                print(ligne.rstrip("\n"), flush=True)
    except OSError:
        pass
    print("Le serveur a fermé la connexion.", flush=True)
    os._exit(0)


def main():
    nom = input("Entrez votre nom : ")
    connexion = socket.create_connection((HOTE, PORT))
    connexion.sendall((nom + "\n").encode("utf-8"))
    threading.Thread(target=recevoir, args=(connexion,), daemon=True).start()
    while True:
        message = input("Votre message : ")
        if message == "exit":
            break
        connexion.sendall((message + "\n").encode("utf-8"))
        time.sleep(0.3)  # pas plus de trois messages par seconde
    connexion.close()


if __name__ == "__main__":
    main()
