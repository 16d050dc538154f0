"""Bug : le dictionnaire des clients est parcouru et modifié par plusieurs threads sans verrou, et la diffusion fait une pause après chaque envoi."""
import os
import socket
import threading
import time

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}  # connexion -> nom


def diffuser(message, expediteur):
    for c in clients:
        if c is expediteur:
            continue
        try:
            c.sendall(message.encode("utf-8"))
            time.sleep(0.05)  # « pour laisser au client le temps de lire »
        except OSError:
            pass  # ce client est parti, son propre thread s'en occupe


def gerer_client(connexion, adresse):
    fichier = connexion.makefile("r", encoding="utf-8", newline="\n")
    nom = None
    try:
        nom = fichier.readline().strip()
        if not nom:
            return
        clients[connexion] = nom
        print(f"{nom} ({adresse[0]}) a rejoint le chat.")
        for ligne in fichier:
            message = ligne.strip()
            if message:
                print(f"{nom} : {message}")
                diffuser(f"{nom} : {message}\n", connexion)
    except (OSError, UnicodeDecodeError):
        pass
    finally:
        clients.pop(connexion, None)
        connexion.close()
        if nom:
            print(f"{nom} a quitté le chat.")


serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind((HOTE, PORT))
serveur.listen()
print("Serveur en attente de connexions...")

while True:
    connexion, adresse = serveur.accept()
    threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()
