"""Bug : le client attend son nom sur la ligne de commande : sans argument, il affiche une aide et s'arrête, sans jamais lire le nom tapé."""
import os
import socket
import sys
import threading

HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
PORT = int(os.environ.get("CHAT_PORT", "55555"))

if len(sys.argv) < 2:
    print("Usage : python client_exo.py <votre nom>")
    sys.exit(1)

nom = sys.argv[1]
client = socket.create_connection((HOTE, PORT))
client.sendall((nom + "\n").encode("utf-8"))


def recevoir():
    for ligne in client.makefile("r", encoding="utf-8"):
        print(ligne, end="", flush=True)
    os._exit(0)


threading.Thread(target=recevoir, daemon=True).start()
while (message := input()) != "exit":
    client.sendall((message + "\n").encode("utf-8"))
client.close()
