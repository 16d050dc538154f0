"""Bug : quand le serveur ferme, recv() renvoie b"" et le client affiche des lignes vides sans fin."""
import os
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))


def afficher_messages(client):
    while True:
        message = client.recv(1024).decode("utf-8")
        print(message.strip())


nom = input("Entrez votre nom : ")
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((HOTE, PORT))
client.send(nom.encode("utf-8") + b"\n")
fil = threading.Thread(target=afficher_messages, args=(client,))
fil.daemon = True
fil.start()

message = input()
while message != "exit":
    client.send(message.encode("utf-8") + b"\n")
    message = input()
client.close()
