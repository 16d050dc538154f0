"""Bug (bonus) : /privé envoie le message privé à tout le monde ; /liste est correct (réponse sur plusieurs lignes)."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

connectes = {}  # socket -> nom
verrou = threading.Lock()


def envoyer(sock, texte):
    try:
        sock.sendall((texte + "\n").encode("utf-8"))
    except OSError:
        pass


def diffuser(texte, sauf=None):
    with verrou:
        destinataires = [s for s in connectes if s is not sauf]
    for s in destinataires:
        envoyer(s, texte)


def commande(sock, nom, ligne):
    if ligne in ("/liste", "/list"):
        with verrou:
            noms = sorted(connectes.values())
        envoyer(sock, "Utilisateurs connectés :")
        for autre in noms:
            envoyer(sock, f"  - {autre}")
    elif ligne.startswith(("/privé ", "/prive ")):
        morceaux = ligne.split(" ", 2)
        if len(morceaux) == 3:
            diffuser(f"(privé) {nom} : {morceaux[2]}", sauf=sock)  # oups : à tout le monde
    else:
        print(f"{nom} : {ligne}", flush=True)
        diffuser(f"{nom} : {ligne}", sauf=sock)


def servir(sock, adresse):
    lecteur = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    nom = None
    try:
        nom = lecteur.readline().strip()
        if not nom:
            return
        with verrou:
            connectes[sock] = nom
        print(f"{nom} ({adresse[0]}) a rejoint le chat.", flush=True)
        for ligne in lecteur:
            commande(sock, nom, ligne.rstrip("\r\n"))
    except OSError:
        pass
    finally:
        with verrou:
            connectes.pop(sock, None)
        if nom:
            print(f"{nom} a quitté le chat.", flush=True)
        sock.close()


with socket.create_server((HOTE, PORT)) as serveur:
    print("Serveur en attente de connexions...", flush=True)
    while True:
        threading.Thread(target=servir, args=serveur.accept(), daemon=True).start()
