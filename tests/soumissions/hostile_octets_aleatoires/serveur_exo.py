"""Bug : le serveur répond à tout ce qu'il reçoit par des octets quelconques (échappements de terminal compris)."""
import os
import random
import socket
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))
hasard = random.Random(2024)
connectes = []


def repondre(connexion):
    while True:
        recu = connexion.recv(4096)
        if not recu:
            return
        print("reçu", len(recu), "octets", flush=True)
        bruit = b"\x1b[2J\x1b[31m\x00\x07" + bytes(hasard.getrandbits(8) for _ in range(300)) + b"\n"
        for autre in connectes:
            autre.sendall(bruit)


serveur = socket.create_server((HOTE, PORT))
print("Serveur en attente de connexions...", flush=True)
while True:
    connexion, _ = serveur.accept()
    connectes.append(connexion)
    threading.Thread(target=repondre, args=(connexion,), daemon=True).start()
