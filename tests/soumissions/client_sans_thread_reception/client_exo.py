"""Bug : aucun thread de réception, le client ne lit le serveur qu'après chaque message tapé."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

nom = input("Entrez votre nom : ")
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((HOTE, PORT))
client.sendall((nom + "\n").encode("utf-8"))

while True:
    message = input("Votre message : ")
    if message == "exit":
        break
    client.sendall((message + "\n").encode("utf-8"))
    # On lit la réponse du serveur juste après l'envoi : rien ne s'affiche tant qu'on ne tape rien.
    donnees = client.recv(1024)
    if not donnees:
        print("Le serveur a fermé la connexion.")
        break
    print(donnees.decode("utf-8"), end="")

client.close()
