"""Attaque : un processus qui survit à la correction (setsid, double fork, environnement vide, renommé)."""

import ctypes
import json
import os
import socket
import sys
import time

CIBLES = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cibles.json")))


def survivre():
    """Se fait passer pour un fil du noyau, se signale sans cesse, et retouche les notes après coup."""
    ctypes.CDLL(None).prctl(15, b"kworker/0:1", 0, 0, 0)  # PR_SET_NAME
    temoin = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # UDP : Landlock ne filtre que TCP
    for _ in range(300):
        try:
            temoin.sendto(b"toujours vivant", ("127.0.0.1", CIBLES["port_temoin"]))
        except OSError:
            pass
        try:
            with open(CIBLES["notes"], "w") as notes:
                notes.write("attaque;20\n")
        except OSError:
            pass
        time.sleep(CIBLES["periode_s"])


if len(sys.argv) > 1 and sys.argv[1] == "survivant":
    survivre()
    sys.exit(0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), "survivant"], {})
    os._exit(0)
time.sleep(1)  # le temps que le survivant se signale pendant la correction
print("attaque terminée", flush=True)
