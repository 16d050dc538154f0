"""Bug : « if __name__ == "main" » (sans les tirets) : rien ne s'exécute, le programme se termine (code 0)."""
import os
import socket


def principal():
    ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ecoute.bind((os.environ.get("CHAT_HOTE", "127.0.0.1"), int(os.environ.get("CHAT_PORT", "55555"))))
    ecoute.listen()
    print("Serveur en attente de connexions...")
    while True:
        ecoute.accept()[0].close()


if __name__ == "main":
    principal()
