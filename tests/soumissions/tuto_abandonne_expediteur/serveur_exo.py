"""Bug : un envoi raté vers un client qui vient de couper sa connexion fait abandonner l'expéditeur (son thread se termine et le retire)."""
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
        c.sendall(message.encode("utf-8"))


def gerer_client(connexion, adresse):
    fichier = connexion.makefile("r", encoding="utf-8", newline="\n")
    nom = None
    try:
        nom = fichier.readline().strip()
        with verrou:
            clients[connexion] = nom
        print(f"{nom} ({adresse[0]}) a rejoint le chat.")
        for ligne in fichier:
            message = ligne.strip()
            print(f"{nom} : {message}")
            diffuser(f"{nom} : {message}\n", connexion)
    except OSError:
        pass
    finally:
        with verrou:
            clients.pop(connexion, None)
        connexion.close()
        print(f"{nom} a quitté le chat.")


serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind((HOTE, PORT))
serveur.listen()
print("Serveur en attente de connexions...")
while True:
    connexion, adresse = serveur.accept()
    threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()
