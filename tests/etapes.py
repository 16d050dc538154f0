"""The starter files completed TODO by TODO, as a beginner does: each step adds the code of one TODO under
its comment, in the order of the statement (docs/enonce.md), and keeps what the steps before it wrote.

`steps(tmp)` writes one submission folder per step: the server completed TODO 1 to 4 with the client as
given, then the client completed TODO 2 to 4 with the server complete. The last one is the whole exercise
built from the starters (its `accept()` waits with no deadline, except on Windows).
"""

from __future__ import annotations

from pathlib import Path

from grader.harness.exercise import CLIENT, SERVER
from tests.grading import STARTERS

# (TODO, file, [(text of the file, what replaces it)]): the replaced text is kept at the start of the new one
# whenever the code goes under a comment.
Step = tuple[str, str, list[tuple[str, str]]]

_SERVER_STEPS: list[Step] = [
    (
        "TODO 1 du serveur",
        SERVER,
        [
            (
                "    # Pour l'instant, le serveur ne sait rien faire de ce client",
                '    flux = connexion.makefile("r", encoding="utf-8", errors="replace")\n'
                "    nom = flux.readline().strip()\n"
                "    with verrou:\n"
                "        clients[connexion] = nom\n"
                '    print(f"{nom} ({adresse[0]}) a rejoint le chat.")\n'
                "    # Pour l'instant, le serveur ne sait rien faire de ce client",
            )
        ],
    ),
    (
        "TODO 2 du serveur",
        SERVER,
        [
            (
                "            gerer_client(connexion, adresse)",
                "            threading.Thread(target=gerer_client, args=(connexion, adresse), daemon=True).start()",
            )
        ],
    ),
    (
        "TODO 3 du serveur",
        SERVER,
        [
            (
                "    pass\n",
                "    with verrou:\n"
                "        autres = [c for c in clients if c is not expediteur]\n"
                "    for autre in autres:\n"
                "        try:\n"
                '            autre.sendall((message + "\\n").encode("utf-8"))\n'
                "        except OSError:\n"
                "            pass\n",
            ),
            (
                "    # Pour l'instant, le serveur ne sait rien faire de ce client",
                "    for ligne in flux:\n"
                '        print(f"{nom} : {ligne.strip()}")\n'
                '        diffuser(f"{nom} : {ligne.strip()}", connexion)\n'
                "    # Pour l'instant, le serveur ne sait rien faire de ce client",
            ),
        ],
    ),
    (
        "TODO 4 du serveur",
        SERVER,
        [
            ("    for ligne in flux:\n", "    try:\n        for ligne in flux:\n"),
            (
                '        print(f"{nom} : {ligne.strip()}")\n        diffuser(f"{nom} : {ligne.strip()}", connexion)\n',
                '            print(f"{nom} : {ligne.strip()}")\n'
                '            diffuser(f"{nom} : {ligne.strip()}", connexion)\n'
                "    except OSError:\n"
                "        pass\n"
                "    with verrou:\n"
                "        del clients[connexion]\n"
                '    print(f"{nom} a quitté le chat.")\n',
            ),
        ],
    ),
]

_CLIENT_STEPS: list[Step] = [
    (
        "TODO 2 du client",
        CLIENT,
        [
            (
                'terminée par "\\n".\n',
                'terminée par "\\n".\n'
                "    connexion = socket.create_connection((HOTE, PORT))\n"
                '    connexion.sendall((nom + "\\n").encode("utf-8"))\n',
            )
        ],
    ),
    (
        "TODO 3 du client",
        CLIENT,
        [
            (
                "    pass\n",
                "    try:\n"
                '        with connexion.makefile("r", encoding="utf-8", errors="replace") as flux:\n'
                "            for ligne in flux:\n"
                '                print(ligne.rstrip("\\n"), flush=True)\n'
                "    except OSError:\n"
                "        pass\n"
                '    print("Le serveur a fermé la connexion.", flush=True)\n'
                "    os._exit(0)\n",
            ),
            (
                "pendant que l'utilisateur tape.\n",
                "pendant que l'utilisateur tape.\n"
                "    threading.Thread(target=recevoir, args=(connexion,), daemon=True).start()\n",
            ),
            (
                '(UTF-8, terminé par "\\n").\n',
                '(UTF-8, terminé par "\\n").\n'
                "    while True:\n"
                '        message = input("Votre message : ")\n'
                '        connexion.sendall((message + "\\n").encode("utf-8"))\n',
            ),
        ],
    ),
    (
        "TODO 4 du client",
        CLIENT,
        [
            (
                '        message = input("Votre message : ")\n',
                '        message = input("Votre message : ")\n        if message == "exit":\n            break\n',
            ),
            ("terminer le programme.\n", "terminer le programme.\n    connexion.close()\n"),
        ],
    ),
]


def _apply(text: str, replacements: list[tuple[str, str]], where: str) -> str:
    for old, new in replacements:
        if text.count(old) != 1:
            raise AssertionError(f"{where} : « {old.strip()} » n'apparaît pas une seule fois dans le fichier de départ")
        text = text.replace(old, new)
    return text


def steps(tmp: Path) -> list[tuple[str, Path]]:
    """(name, folder) for the starters as given, then after each TODO, in order."""
    sources = {name: (STARTERS / name).read_text(encoding="utf-8") for name in (SERVER, CLIENT)}
    done = [("fichiers de départ", _write(tmp / "etape0", sources))]
    for number, (name, filename, replacements) in enumerate(_SERVER_STEPS + _CLIENT_STEPS, start=1):
        sources[filename] = _apply(sources[filename], replacements, name)
        done.append((name, _write(tmp / f"etape{number}", sources)))
    return done


def _write(folder: Path, sources: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in sources.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
