"""Attaque : écrit dans le correcteur installé, un .pth, le dossier personnel de l'enseignant, hors de sa copie."""

import json
import os

CIBLES = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cibles.json")))


def ecrire(chemin, contenu):
    try:
        os.makedirs(os.path.dirname(chemin), exist_ok=True)
        with open(chemin, "ab") as fichier:
            fichier.write(contenu)
        print("écrit :", chemin)
    except OSError as erreur:
        print("refusé :", chemin, erreur.strerror)


ecrire(os.path.join(CIBLES["kit"], "grader", "__init__.py"), b"\nNOTE_FORCEE = 20\n")
ecrire(os.path.join(CIBLES["kit"], "grader", "checks", "test_pirate.py"), b"def test_pirate():\n    pass\n")
ecrire(os.path.join(CIBLES["site"], "attaque.pth"), b"# attaque\n")
ecrire(os.path.join(CIBLES["home"], "canari.txt"), b"modifie\n")
ecrire(os.path.join(CIBLES["camarade"], "serveur_exo.py"), b"\nraise SystemExit\n")
ecrire(os.path.join(os.path.dirname(os.getcwd()), "..", "attaque-voisin.txt"), b"x")
try:
    with open(CIBLES["dehors"], "wb") as gros:
        for _ in range(200):
            gros.write(b"\0" * 2**20)
    print("écrit : 200 Mo dehors")
except OSError as erreur:
    print("refusé : 200 Mo dehors", erreur.strerror)
print("attaque terminée", flush=True)
