"""Bug (bonus) : un nom déjà pris est accepté (l'ensemble des noms n'est jamais rempli) ; /privé et /kick sont corrects."""
import os
import selectors
import socket
import sys

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

selecteur = selectors.DefaultSelector()
tampons = {}  # socket -> octets reçus pas encore terminés par "\n"
adresses = {}  # socket -> adresse IP, notée à l'arrivée (getpeername() échoue si le client est déjà parti)
noms = {}  # socket -> nom (absent tant que le nom n'est pas arrivé)
noms_pris = set()  # oubli : jamais rempli, donc aucun nom n'est jamais refusé


def envoyer(sock, texte):
    try:
        sock.sendall((texte + "\n").encode("utf-8"))
    except OSError:
        pass


def deconnecter(sock):
    selecteur.unregister(sock)
    tampons.pop(sock, None)
    adresses.pop(sock, None)
    nom = noms.pop(sock, None)
    if nom is not None:
        print(f"{nom} a quitté le chat.", flush=True)
    sock.close()


def traiter_ligne(sock, ligne):
    if sock not in noms:
        if ligne in noms_pris:
            envoyer(sock, "Ce nom est déjà pris.")
            deconnecter(sock)
            return
        noms[sock] = ligne
        print(f"{ligne} ({adresses[sock]}) a rejoint le chat.", flush=True)
        return
    expediteur = noms[sock]
    if ligne.startswith(("/privé ", "/prive ")) and len(ligne.split(" ", 2)) == 3:
        _, cible, texte = ligne.split(" ", 2)
        for autre, nom in list(noms.items()):
            if nom == cible:
                envoyer(autre, f"[MP de {expediteur}] {texte}")
        return
    print(f"{expediteur} : {ligne}", flush=True)
    for autre in list(noms):
        if autre is not sock:
            envoyer(autre, f"{expediteur} : {ligne}")


def lire_client(sock):
    try:
        arrivee = sock.recv(4096)
    except ConnectionError:
        arrivee = b""
    if arrivee == b"":  # le client est parti
        deconnecter(sock)
        return
    *lignes, tampons[sock] = (tampons[sock] + arrivee).split(b"\n")
    for brut in lignes:
        if sock not in tampons:  # déconnecté pendant le traitement d'une ligne précédente
            break
        traiter_ligne(sock, brut.decode("utf-8", errors="replace").rstrip("\r"))


def lire_console(entree):
    ligne = entree.readline()
    if not ligne:  # console fermée : on ne la surveille plus
        selecteur.unregister(entree)
        return
    ligne = ligne.strip()
    if ligne.startswith("/kick "):
        cible = ligne.split(" ", 1)[1]
        for autre, nom in list(noms.items()):
            if nom == cible:
                envoyer(autre, "Vous avez été expulsé.")
                deconnecter(autre)


def accepter(serveur):
    sock, (ip, _) = serveur.accept()
    tampons[sock] = b""
    adresses[sock] = ip
    selecteur.register(sock, selectors.EVENT_READ, lire_client)


serveur = socket.create_server((HOTE, PORT))
selecteur.register(serveur, selectors.EVENT_READ, accepter)
selecteur.register(sys.stdin, selectors.EVENT_READ, lire_console)
print("Serveur en attente de connexions...", flush=True)
while True:
    for cle, _ in selecteur.select():
        cle.data(cle.fileobj)
