"""Bug : (style tutoriel) jeton NICKNAME, nom lu dans la boucle d'accept(), diffusion brute à tous sans « Nom : », boucle sans fin sur b"" après un départ."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.bind((HOTE, PORT))
serveur.listen()

clients = []
pseudos = []


# Envoie un message à tous les clients connectés
def diffuser(message):
    for client in clients:
        client.send(message)


# Reçoit les messages d'un client et les renvoie à tout le monde
def gerer(client):
    while True:
        try:
            message = client.recv(1024)
            diffuser(message)
        except:
            index = clients.index(client)
            clients.remove(client)
            client.close()
            pseudo = pseudos[index]
            diffuser(f"{pseudo} est parti !\n".encode("utf-8"))
            pseudos.remove(pseudo)
            break


# Accepte les connexions, demande le pseudo, lance un thread par client
def recevoir():
    print("Serveur en attente de connexions...")
    while True:
        client, adresse = serveur.accept()
        print(f"Connecté avec {adresse}")
        client.send("NICKNAME\n".encode("utf-8"))
        pseudo = client.recv(1024).decode("utf-8").strip()
        pseudos.append(pseudo)
        clients.append(client)
        print(f"{pseudo} ({adresse[0]}) a rejoint le chat.")
        diffuser(f"{pseudo} a rejoint le chat !\n".encode("utf-8"))
        client.send("Connecté au serveur !\n".encode("utf-8"))
        thread = threading.Thread(target=gerer, args=(client,))
        thread.start()


recevoir()
