"""Attaque : réserve 1,8 Go de mémoire en quelques secondes avant d'écouter."""

import socket
import time

blocs = []
for _ in range(36):
    blocs.append(bytearray(50 * 2**20))  # 50 Mo, remplis de zéros (donc vraiment utilisés)
    time.sleep(0.02)
serveur = socket.socket()
serveur.bind(("127.0.0.1", 0))
serveur.listen()
time.sleep(60)
