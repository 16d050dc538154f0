"""`python -m grader distribuer DOSSIER`: write what the students receive, and nothing else.

The folder holds the statement and the protocol (docs/enonce.md, docs/protocole.md), the starter files
(exercice/) and the grader (grader/, with pyproject.toml so that it installs), plus a README written for
students: how to install the grader in a virtual environment (Debian 12 and Ubuntu 24.04 refuse
`pip install` outside one: PEP 668) and how to check their work. Never the reference solution, the corpus
of sample submissions (tests/soumissions holds complete servers), the kit's tests, the teacher's guide,
the benchmarks or the verification scripts.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grader

KIT_ROOT = Path(grader.__file__).resolve().parent.parent
COPIED = {  # in the kit -> in the students' folder
    "docs/enonce.md": "enonce.md",
    "docs/protocole.md": "protocole.md",
    "exercice/serveur_exo.py": "exercice/serveur_exo.py",
    "exercice/client_exo.py": "exercice/client_exo.py",
    "pyproject.toml": "correcteur/pyproject.toml",
}
GRADER_TARGET = "correcteur/grader"
README = "LISEZMOI.md"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")

STUDENT_README = """# Serveur de chat — ce qu'il faut pour faire l'exercice

- `enonce.md` : l'énoncé ; `protocole.md` : le protocole exact (une ligne par message, le nom d'abord).
- `exercice/` : `serveur_exo.py` et `client_exo.py`, les fichiers de départ à compléter. Rendez **ces deux
  fichiers, sous ces noms**.
- `correcteur/` : le correcteur automatique, le même que celui de l'enseignant.

## Installer le correcteur (une fois)

Il faut Python 3.10 ou plus récent. Installez-le dans un **environnement virtuel** (sur Debian 12 et
Ubuntu 24.04, `pip install` hors d'un environnement virtuel est refusé : « externally-managed-environment »).
Dans ce dossier :

```
python3 -m venv .venv
source .venv/bin/activate          # Windows : .venv\\Scripts\\activate
python -m pip install ./correcteur
```

(Sur Debian ou Ubuntu, si `python3 -m venv` manque : `sudo apt install python3-venv`.)

## Vérifier son travail (autant de fois qu'on veut)

Dans le même terminal (ou après `source .venv/bin/activate`) :

```
python -m grader exercice/
```

Le correcteur lance vos programmes, leur parle par le réseau et explique chaque erreur en français, avec
une note sur 20. `python -m grader --liste` affiche la liste des vérifications et leurs points.
"""


class HandoutError(Exception):
    """The folder cannot be written; the message is French."""


def write_handout(destination: Path) -> list[str]:
    """Write the students' folder; the files written, relative to it."""
    if destination.exists() and any(destination.iterdir()):
        raise HandoutError(f"{destination} existe et n'est pas vide : choisissez un dossier nouveau ou vide.")
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for source, target in COPIED.items():
            (destination / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(KIT_ROOT / source, destination / target)
        shutil.copytree(KIT_ROOT / "grader", destination / GRADER_TARGET, ignore=_IGNORED)
        (destination / README).write_text(STUDENT_README, encoding="utf-8")
        (destination / "correcteur" / "README.fr.md").write_text(STUDENT_README, encoding="utf-8")
    except OSError as error:
        raise HandoutError(f"impossible d'écrire {destination} : {error.strerror or error}") from None
    return sorted(path.relative_to(destination).as_posix() for path in destination.rglob("*") if path.is_file())


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print("Utilisation : python -m grader distribuer DOSSIER  (un dossier nouveau ou vide)", file=sys.stderr)
        return 2
    destination = Path(argv[0])
    try:
        files = write_handout(destination)
    except HandoutError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    print(
        f"Dossier des étudiants écrit : {destination} ({len(files)} fichiers : énoncé, protocole, fichiers de "
        f"départ, correcteur ; ni solution, ni corpus, ni tests). Voir {destination / README}."
    )
    return 0
