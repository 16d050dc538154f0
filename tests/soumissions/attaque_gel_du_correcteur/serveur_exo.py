"""Attaque : gèle le correcteur (SIGSTOP) pour qu'il ne rende jamais de note."""

import os
import signal


def ligne_de_commande(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as ligne:
            return ligne.read().split(b"\0")
    except OSError:
        return []


# Le correcteur est un ancêtre : on remonte la chaîne des parents (et seulement elle).
pid = os.getppid()
while pid > 1 and b"grader" not in ligne_de_commande(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            pid = int(stat.read().rpartition(")")[2].split()[1])
    except OSError:
        pid = 0
print("correcteur :", pid if pid > 1 else None, flush=True)
for cible in {os.getppid(), pid} - {0, 1}:
    try:
        os.kill(cible, signal.SIGSTOP)
        print("gelé :", cible, flush=True)
    except OSError as erreur:
        print("signal refusé :", erreur, flush=True)
print("attaque terminée", flush=True)
