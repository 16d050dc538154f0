"""Bug : (style tutoriel) le client n'est inscrit qu'après la ligne de bienvenue ; la diffusion parcourt le dictionnaire sans verrou ni copie, et l'annonce d'arrivée n'a pas de fin de ligne."""
import os
import socket
from threading import Thread

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))
TAILLE = 1024

clients = {}
adresses = {}


def accepter_connexions():
    """Accepte les clients qui arrivent."""
    while True:
        client, adresse = SERVEUR.accept()
        adresses[client] = adresse
        Thread(target=gerer_client, args=(client,)).start()


def gerer_client(client):
    """Gère un client : son nom, puis ses messages."""
    nom = client.recv(TAILLE).decode("utf8").strip()
    client.send(bytes(f"Bienvenue {nom} ! Tapez {{quitter}} pour partir.\n", "utf8"))
    print(f"{nom} ({adresses[client][0]}) a rejoint le chat.")
    diffuser(bytes(f"{nom} a rejoint le chat !", "utf8"))
    clients[client] = nom
    while True:
        message = client.recv(TAILLE)
        if message and message != bytes("{quitter}", "utf8"):
            print(f"{nom} : {message.decode('utf8').strip()}")
            diffuser(message, nom + " : ")
        else:
            client.close()
            del clients[client]
            print(f"{nom} a quitté le chat.")
            diffuser(bytes(f"{nom} a quitté le chat.\n", "utf8"))
            break


def diffuser(message, prefixe=""):
    """Envoie un message à tous les clients."""
    for sock in clients:
        sock.send(bytes(prefixe, "utf8") + message)


SERVEUR = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
SERVEUR.bind((HOTE, PORT))

if __name__ == "__main__":
    SERVEUR.listen(5)
    print("Serveur en attente de connexions...")
    fil = Thread(target=accepter_connexions)
    fil.start()
    fil.join()
    SERVEUR.close()
