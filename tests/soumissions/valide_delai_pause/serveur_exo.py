"""valide : un thread par client, et une pause (time.sleep) après chaque envoi, contre l'inondation."""
import os
import socket
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}
verrou = threading.Lock()


def diffuser(message, expediteur):
    with verrou:
        autres = [c for c in clients if c is not expediteur]
    for autre in autres:
        try:
            autre.sendall((message + "\n").encode("utf-8"))
        except OSError:
            pass
    time.sleep(0.02)  # pas plus de 50 messages par seconde et par client


def gerer_client(connexion, adresse):
    flux = connexion.makefile("r", encoding="utf-8", errors="replace")
    nom = flux.readline().strip()
    if not nom:
        connexion.close()
        return
    with verrou:
        clients[connexion] = nom
    print(f"{nom} ({adresse[0]}) a rejoint le chat.")
    try:
        for ligne in flux:
            message = ligne.strip()
            if message:
                print(f"{nom} : {message}")
                diffuser(f"{nom} : {message}", connexion)
    except OSError:
        pass
    with verrou:
        del clients[connexion]
    connexion.close()
    print(f"{nom} a quitté le chat.")


def main():
    serveur = socket.create_server((HOTE, PORT))
    print("Serveur en attente de connexions...")
    while True:
        connexion, adresse = serveur.accept()
        threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()


if __name__ == "__main__":
    main()
