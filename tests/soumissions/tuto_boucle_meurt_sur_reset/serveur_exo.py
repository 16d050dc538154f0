"""Bug : (style tutoriel) diffusion à tous, l'expéditeur en premier ; un client coupé brutalement reste dans la liste et l'envoi vers lui tue le thread de celui qui parle."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = []  # liste de (connexion, nom)
verrou = threading.Lock()


def diffuser(message, expediteur):
    with verrou:
        tous = sorted(clients, key=lambda c: c[0] is not expediteur)  # l'expéditeur d'abord
    for connexion, _ in tous:
        connexion.sendall(message.encode("utf-8"))


def gerer_client(connexion, adresse):
    fichier = connexion.makefile("r", encoding="utf-8", newline="\n")
    nom = fichier.readline().strip()
    with verrou:
        clients.append((connexion, nom))
    print(f"{nom} ({adresse[0]}) a rejoint le chat.")
    while True:
        ligne = fichier.readline()
        if not ligne:
            break
        message = ligne.strip()
        print(f"{nom} : {message}")
        diffuser(f"{nom} : {message}\n", connexion)
    with verrou:
        clients.remove((connexion, nom))
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
