"""Is a submission still the untouched starter? (The kit's exercice/ folder, when the grader sits in it.)"""

from __future__ import annotations

from pathlib import Path

STARTER_DIR = Path(__file__).resolve().parent.parent / "exercice"
FILES = ("serveur_exo.py", "client_exo.py")


def _normalized(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return b"\n".join(line.rstrip() for line in data.replace(b"\r\n", b"\n").strip().split(b"\n"))


def untouched_files(submission: Path) -> list[str]:
    """The files of the submission that are the starter's, unchanged (line ends and trailing spaces
    aside); [] when the starter is not beside the grader."""
    untouched = []
    for name in FILES:
        starter = _normalized(STARTER_DIR / name)
        if starter is not None and submission.is_dir() and _normalized(submission / name) == starter:
            untouched.append(name)
    return untouched


def untouched_note(submission: Path) -> str:
    """A sentence for the top of the report, or ""."""
    files = untouched_files(submission)
    if len(files) == len(FILES):
        return (
            "Ce sont les fichiers de départ, encore non modifiés : presque tout échoue, c'est normal. "
            "Commencez par la TODO 1 de serveur_exo.py."
        )
    if files:
        return f"{files[0]} est encore le fichier de départ, non modifié."
    return ""
