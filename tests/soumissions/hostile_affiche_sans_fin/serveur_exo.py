"""Bug : une boucle de débogage affiche sans fin sur la sortie et sur les erreurs au lieu d'accepter les clients."""
import os
import socket
import sys

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

serveur = socket.create_server((HOTE, PORT))
print("Serveur en attente de connexions...")
tour = 0
while True:
    tour += 1
    print(f"debug : tour {tour}, en attente d'un client")
    print(f"attention : tour {tour} sans accept()", file=sys.stderr)
