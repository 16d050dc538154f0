"""Bug : une boucle sans fin au chargement du module (avant bind/listen) : le serveur n'écoute jamais."""
import os
import socket

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

compteur = 0
while compteur >= 0:  # la condition ne devient jamais fausse
    compteur += 1

serveur = socket.create_server((HOTE, PORT))
while True:
    serveur.accept()
