"""Bug : après chaque accept(), le serveur attend une annonce au clavier (input()) : plus personne n'est accepté."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}
verrou = threading.Lock()


def diffuser(message, expediteur):
    with verrou:
        destinataires = [c for c in clients.values() if c is not expediteur]
    for connexion in destinataires:
        try:
            connexion.sendall((message + "\n").encode("utf-8"))
        except OSError:
            pass


def gerer_client(connexion, adresse):
    fichier = connexion.makefile("r", encoding="utf-8")
    nom = fichier.readline().strip()
    with verrou:
        clients[nom] = connexion
    print(f"{nom} ({adresse[0]}) a rejoint le chat.")
    for ligne in fichier:
        message = f"{nom} : {ligne.strip()}"
        print(message)
        diffuser(message, connexion)
    with verrou:
        del clients[nom]
    connexion.close()
    print(f"{nom} a quitté le chat.")


def main():
    serveur = socket.create_server((HOTE, PORT))
    print("Serveur en attente de connexions...")
    while True:
        connexion, adresse = serveur.accept()
        threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()
        annonce = input("Annonce du serveur : ")
        diffuser(f"Serveur : {annonce}", None)


if __name__ == "__main__":
    main()
