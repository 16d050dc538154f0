"""Perd des lignes sous charge : une ligne relayée sur 10 est jetée (comme un envoi non bloquant qui abandonne quand le tampon est plein, mais de façon déterministe)."""

import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

clients = {}  # socket -> nom
verrou = threading.Lock()
lignes_relayees = 0  # compteur global de toutes les lignes relayées, protégé par le verrou
UNE_SUR = 10  # la ligne relayée numéro 10, 20, 30... est perdue


def envoyer_aux_autres(expediteur, texte):
    global lignes_relayees
    donnees = (texte + "\n").encode("utf-8")
    with verrou:
        for client in list(clients):
            if client is expediteur:
                continue
            lignes_relayees += 1
            if lignes_relayees % UNE_SUR == 0:
                continue  # le « tampon plein » : la ligne est perdue sans aucun message
            try:
                client.sendall(donnees)
            except OSError:
                pass


def gerer_client(client, adresse):
    fichier = client.makefile("r", encoding="utf-8", newline="\n")
    nom = fichier.readline().strip()
    if not nom:
        client.close()
        return
    with verrou:
        clients[client] = nom
    print(f"{nom} ({adresse[0]}) a rejoint le chat.")
    try:
        for ligne in fichier:
            message = ligne.rstrip("\r\n")
            print(f"{nom} : {message}")
            envoyer_aux_autres(client, f"{nom} : {message}")
    except (OSError, UnicodeDecodeError):
        pass
    with verrou:
        del clients[client]
    client.close()
    print(f"{nom} a quitté le chat.")


def main():
    serveur = socket.create_server((HOTE, PORT), backlog=128)
    print("Serveur en attente de connexions...")
    while True:
        client, adresse = serveur.accept()
        threading.Thread(target=gerer_client, args=(client, adresse), daemon=True).start()


if __name__ == "__main__":
    main()
