"""The kit cannot be changed by what it grades: its files sealed before grading, checked before exporting.

Confinement is the first layer (a student's program cannot write outside its scratch copy). This is the
second: `KitSeal.take()` fingerprints (SHA-256) every file of the installed `grader` package but its
bytecode caches, and the `.pth` and top-level modules of the site folders (where a `.pth` or an editable
install's finder would redirect `import grader`); `KitSeal.check()` raises `KitChanged` (French) when
any of them was added, removed or changed since. The grades of a run that changed its own grader are
not trusted: no export is written.

The bytecode caches are left out of the seal because Python itself writes them; instead, from the seal
on, no `.pyc` of the kit is read (from_source.py): a `.pyc` dropped next to the kit's sources never takes
effect in the batch workers, nor in the runner for what it imports afterwards.
"""

from __future__ import annotations

import hashlib
import site
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.engine import GraderInternalError

KIT_DIR = Path(grader.__file__).resolve().parent
_CACHE_DIR = "__pycache__"
_SITE_PATTERNS = ("*.pth", "*.py")


class KitChanged(GraderInternalError):
    """The grader's own files changed while it graded; the message names them, in French."""


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        return f"illisible ({error.strerror})"


def _site_dirs() -> list[Path]:
    folders = [*getattr(site, "getsitepackages", list)(), site.getusersitepackages()]
    return [Path(folder) for folder in dict.fromkeys(folders) if Path(folder).is_dir()]


def _fingerprints() -> dict[str, str]:
    files = {
        f"grader/{path.relative_to(KIT_DIR).as_posix()}": _digest(path)
        for path in KIT_DIR.rglob("*")
        if _CACHE_DIR not in path.relative_to(KIT_DIR).parts and (path.is_file() or path.is_symlink())
    }
    for folder in _site_dirs():
        for pattern in _SITE_PATTERNS:
            files.update({str(path): _digest(path) for path in folder.glob(pattern)})
    return files


@dataclass(frozen=True)
class KitSeal:
    files: dict[str, str]

    @classmethod
    def take(cls) -> KitSeal:
        return cls(_fingerprints())

    def changes(self) -> list[str]:
        now = _fingerprints()
        return sorted(name for name in self.files.keys() | now.keys() if self.files.get(name) != now.get(name))

    def check(self) -> None:
        changed = self.changes()
        if changed:
            listed = ", ".join(changed[:10]) + (", …" if len(changed) > 10 else "")
            raise KitChanged(
                f"les fichiers du correcteur ont changé pendant la correction ({listed}). Un programme "
                "corrigé a pu modifier le correcteur : les notes de cette correction ne sont pas fiables et "
                "aucun export n'a été écrit. Réinstallez le kit, puis corrigez de nouveau, avec l'isolation."
            )
