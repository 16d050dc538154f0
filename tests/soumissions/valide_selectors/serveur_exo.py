"""valide : serveur à un seul thread avec selectors (un tampon d'octets par connexion)."""
import os
import selectors
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

selecteur = selectors.DefaultSelector()
tampons = {}  # socket -> octets reçus pas encore terminés par "\n"
noms = {}  # socket -> nom (absent tant que le nom n'est pas arrivé)
adresses = {}  # socket -> adresse IP du client


def envoyer_aux_autres(texte, expediteur):
    for autre in list(noms):
        if autre is not expediteur:
            try:
                autre.sendall((texte + "\n").encode("utf-8"))
            except OSError:
                pass  # son départ sera vu au prochain tour de boucle


def fermer(conn):
    selecteur.unregister(conn)
    tampons.pop(conn, None)
    adresses.pop(conn, None)
    nom = noms.pop(conn, None)
    conn.close()
    if nom:
        print(f"{nom} a quitté le chat.")


def traiter_ligne(conn, ligne):
    texte = ligne.decode("utf-8", errors="replace").strip()
    if conn not in noms:
        if texte:
            noms[conn] = texte
            print(f"{texte} ({adresses[conn]}) a rejoint le chat.")
    elif texte:
        print(f"{noms[conn]} : {texte}")
        envoyer_aux_autres(f"{noms[conn]} : {texte}", conn)


def lire(conn):
    try:
        donnees = conn.recv(4096)
    except OSError:
        donnees = b""
    if not donnees:
        fermer(conn)
        return
    tampons[conn] += donnees
    *lignes, tampons[conn] = tampons[conn].split(b"\n")
    for ligne in lignes:
        traiter_ligne(conn, ligne)


def accepter(serveur):
    conn, adresse = serveur.accept()
    tampons[conn] = b""
    adresses[conn] = adresse[0]
    selecteur.register(conn, selectors.EVENT_READ, lire)


serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind((HOTE, PORT))
serveur.listen()
selecteur.register(serveur, selectors.EVENT_READ, accepter)
print("Serveur en attente de connexions...")

while True:
    for cle, _ in selecteur.select():
        cle.data(cle.fileobj)
