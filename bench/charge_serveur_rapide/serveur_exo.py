"""Serveur de chat minimal et rapide (selectors, un seul thread) : l'étalon du générateur de charge.

Il ne sert qu'à mesurer le plafond de `python -m grader.charge` (voir docs/performances.md) : pas de
bonus, pas de messages à la console (seulement le démarrage et les arrivées), et les lignes à envoyer
à chaque client sont accumulées puis envoyées en un seul `send` par tour de boucle.
"""

import os
import selectors
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

selecteur = selectors.DefaultSelector()
noms = {}  # socket -> nom (absent tant que le nom n'est pas arrivé)
recus = {}  # socket -> octets reçus pas encore terminés par "\n"
a_envoyer = {}  # socket -> bytearray des lignes qui attendent d'être envoyées


def accepter(serveur):
    client, adresse = serveur.accept()
    client.setblocking(False)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    recus[client] = b""
    a_envoyer[client] = bytearray()
    selecteur.register(client, selectors.EVENT_READ, adresse[0])


def fermer(client):
    selecteur.unregister(client)
    client.close()
    nom = noms.pop(client, None)
    del recus[client], a_envoyer[client]
    if nom:
        print(f"{nom} a quitté le chat.")


def lire(client, adresse):
    try:
        donnees = client.recv(65536)
    except OSError:
        donnees = b""
    if not donnees:
        fermer(client)
        return
    *lignes, recus[client] = (recus[client] + donnees).split(b"\n")
    for ligne in lignes:
        ligne = ligne.rstrip(b"\r")
        if client not in noms:
            noms[client] = ligne.decode("utf-8", "replace")
            print(f"{noms[client]} ({adresse}) a rejoint le chat.")
            continue
        relais = noms[client].encode() + b" : " + ligne + b"\n"
        for autre in noms:
            if autre is not client:
                a_envoyer[autre] += relais


def envoyer_tout():
    for client, tampon in list(a_envoyer.items()):
        if tampon:
            try:
                envoye = client.send(tampon)
            except BlockingIOError:
                envoye = 0
            except OSError:
                fermer(client)
                continue
            del tampon[:envoye]


def main():
    serveur = socket.create_server((HOTE, PORT), backlog=1024)
    serveur.setblocking(False)
    selecteur.register(serveur, selectors.EVENT_READ, None)
    print("Serveur en attente de connexions...")
    while True:
        attente = 0.001 if any(a_envoyer.values()) else None
        for cle, _ in selecteur.select(attente):
            if cle.data is None:
                accepter(cle.fileobj)
            elif cle.fileobj in recus:
                lire(cle.fileobj, cle.data)
        envoyer_tout()


if __name__ == "__main__":
    main()
