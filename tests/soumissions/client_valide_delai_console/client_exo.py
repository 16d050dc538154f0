"""Valide : un thread console interroge le clavier avec select() et un délai de 0,2 s ; le programme principal reçoit (Linux et macOS)."""
import os
import select
import socket
import sys
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def console(connexion):
    """Lit le clavier sans jamais y rester bloqué : select() rend la main toutes les 0,2 s."""
    print("Votre message : ", end="", flush=True)
    reste = b""
    while True:
        prets, _, _ = select.select([sys.stdin], [], [], 0.2)
        if not prets:
            continue
        donnees = os.read(sys.stdin.fileno(), 1024)  # pas readline() : il garderait la suite pour lui
        reste += donnees
        while b"\n" in reste or not donnees:
            ligne, _, reste = reste.partition(b"\n")
            if not donnees or ligne.strip() == b"exit":
                connexion.shutdown(socket.SHUT_RDWR)
                return
            connexion.sendall(ligne + b"\n")


def main():
    nom = input("Entrez votre nom : ")
    connexion = socket.create_connection((HOTE, PORT))
    connexion.sendall((nom + "\n").encode("utf-8"))
    threading.Thread(target=console, args=(connexion,), daemon=True).start()
    with connexion.makefile("r", encoding="utf-8", errors="replace") as flux:
        for ligne in flux:
            print(ligne.rstrip("\n"), flush=True)
    print("Connexion fermée.")
    connexion.close()


if __name__ == "__main__":
    main()
