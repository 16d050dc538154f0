"""Bug : (style select) chaque message envoyé aux clients est précédé d'un en-tête de longueur, sans fin de ligne."""
import os
import select
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))
ENTETE = 10

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind((HOTE, PORT))
serveur.listen()

sockets = [serveur]
noms = {}      # socket -> nom
tampons = {}   # socket -> octets reçus pas encore traités


def envoyer(sock, texte):
    donnees = texte.encode("utf-8")
    entete = f"{len(donnees):<{ENTETE}}".encode("utf-8")
    sock.sendall(entete + donnees)


def diffuser(texte, expediteur):
    for sock in list(noms):
        if sock is not expediteur:
            try:
                envoyer(sock, texte)
            except OSError:
                pass


def fermer(sock):
    nom = noms.pop(sock, None)
    sockets.remove(sock)
    tampons.pop(sock, None)
    sock.close()
    if nom:
        print(f"{nom} a quitté le chat.")


def traiter_ligne(sock, ligne):
    if sock not in noms:
        noms[sock] = ligne
        print(f"{ligne} ({sock.getpeername()[0]}) a rejoint le chat.")
    else:
        print(f"{noms[sock]} : {ligne}")
        diffuser(f"{noms[sock]} : {ligne}", sock)


print("Serveur en attente de connexions...")
while True:
    lisibles, _, _ = select.select(sockets, [], [])
    for sock in lisibles:
        if sock is serveur:
            client, adresse = serveur.accept()
            sockets.append(client)
            tampons[client] = b""
            continue
        try:
            donnees = sock.recv(4096)
        except OSError:
            donnees = b""
        if not donnees:
            fermer(sock)
            continue
        tampons[sock] += donnees
        while b"\n" in tampons[sock]:
            ligne, tampons[sock] = tampons[sock].split(b"\n", 1)
            texte = ligne.decode("utf-8", errors="replace").strip()
            if texte:
                traiter_ligne(sock, texte)
