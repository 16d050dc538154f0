"""Bug : la console du serveur est en Latin-1 et commence par des octets invalides en UTF-8 (le reste marche)."""
import os
import socket
import sys
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))
clients = []
verrou = threading.Lock()


def journal(texte):
    sys.stdout.buffer.write(texte.encode("latin-1", errors="replace") + b"\n")
    sys.stdout.buffer.flush()


def servir(connexion, adresse):
    lecteur = connexion.makefile("r", encoding="utf-8", errors="replace")
    nom = lecteur.readline().strip()
    with verrou:
        clients.append(connexion)
    journal(f"{nom} ({adresse[0]}) a rejoint le chat.")
    for ligne in lecteur:
        journal(f"{nom} : {ligne.strip()}")
        with verrou:
            autres = [c for c in clients if c is not connexion]
        for autre in autres:
            autre.sendall(f"{nom} : {ligne.strip()}\n".encode("utf-8"))
    with verrou:
        clients.remove(connexion)
    journal(f"{nom} a quitté le chat.")


ecoute = socket.create_server((HOTE, PORT))
sys.stdout.buffer.write(b"\xff\xfe\x80\xc3 \xe9t\xe9\n")
journal("Serveur démarré, en attente de connexions...")
while True:
    threading.Thread(target=servir, args=ecoute.accept(), daemon=True).start()
