"""Bug : (style tutoriel) le client attend le jeton NICKNAME avant d'envoyer son nom, écrit lui-même « Nom: » devant ses messages, sans fin de ligne, et n'a pas de commande exit."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

pseudo = input("Choisissez un pseudo : ")

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((HOTE, PORT))


# Écoute le serveur et envoie le pseudo quand il le demande
def recevoir():
    while True:
        try:
            message = client.recv(1024).decode("utf-8")
            if message.strip() == "NICKNAME":
                client.send(pseudo.encode("utf-8"))
            elif message:
                print(message)
            else:
                print("Le serveur a fermé la connexion.")
                client.close()
                os._exit(0)
        except OSError:
            print("Une erreur est survenue !")
            client.close()
            break


# Envoie chaque message tapé, précédé du pseudo
def ecrire():
    while True:
        message = f"{pseudo}: {input('')}"
        client.send(message.encode("utf-8"))


threading.Thread(target=recevoir).start()
threading.Thread(target=ecrire).start()
