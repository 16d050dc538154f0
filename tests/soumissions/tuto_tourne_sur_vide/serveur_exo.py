"""Bug : quand un client part, recv() renvoie b"" sans fin et son thread tourne en boucle (100 % du processeur), sans jamais annoncer le départ."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}  # connexion -> nom
verrou = threading.Lock()


def diffuser(message, expediteur):
    with verrou:
        destinataires = [c for c in clients if c is not expediteur]
    for c in destinataires:
        try:
            c.sendall(message.encode("utf-8"))
        except OSError:
            pass


def gerer_client(connexion, adresse):
    tampon = b""
    nom = None
    try:
        while True:
            donnees = connexion.recv(1024)
            tampon += donnees
            while b"\n" in tampon:
                ligne, tampon = tampon.split(b"\n", 1)
                texte = ligne.decode("utf-8").strip()
                if nom is None:
                    nom = texte
                    with verrou:
                        clients[connexion] = nom
                    print(f"{nom} ({adresse[0]}) a rejoint le chat.")
                elif texte:
                    print(f"{nom} : {texte}")
                    diffuser(f"{nom} : {texte}\n", connexion)
    except OSError:
        with verrou:
            clients.pop(connexion, None)


serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind((HOTE, PORT))
serveur.listen()
print("Serveur en attente de connexions...")
while True:
    connexion, adresse = serveur.accept()
    threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()
