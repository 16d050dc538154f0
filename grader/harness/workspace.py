"""A bounded snapshot of the student's folder: the programs always run on a copy, never on the original."""

from __future__ import annotations

import difflib
import itertools
import os
import shutil
import stat
import tempfile
from pathlib import Path

from .exercise import PROGRAMS
from .french import os_error

CLOSE_NAME_RATIO = 0.7  # "server.py", "Serveur_exo.py", "clientexo.py" are a program misnamed; "main.py" is not
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_FILES = 500
MAX_DEPTH = 6
MAX_NOTES = 50
IGNORED_DIRS = frozenset({"__pycache__", ".git"})
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a file swapped for a link after the listing is still not followed
    | getattr(os, "O_NONBLOCK", 0)  # nor does a file swapped for a FIFO block the grader
    | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
)


class SubmissionError(Exception):
    """The submission cannot be graded at all (French message for the user)."""


class Workspace:
    """Snapshot of `source` taken once, in a temporary folder; one fresh copy of it per program run.

    The snapshot is made read-only. Symbolic links are never followed (neither files nor folders); files
    over MAX_FILE_BYTES, beyond MAX_TOTAL_BYTES or MAX_FILES in all, or deeper than MAX_DEPTH folders are
    left out, each with a French note in `skipped`. The two programs are copied first, so the caps never
    leave them out.
    """

    def __init__(self, source: Path) -> None:
        self.source = Path(source)
        if not self.source.exists():
            raise SubmissionError(f"Le chemin « {self.source} » n'existe pas.")
        if not self.source.is_dir():
            raise SubmissionError(
                f"« {self.source} » n'est pas un dossier : donnez le dossier qui contient "
                "serveur_exo.py et/ou client_exo.py."
            )
        self._root = Path(tempfile.mkdtemp(prefix="grader-"))
        self.snapshot = self._root / "copie"
        self.skipped: list[str] = []
        self._files = 0
        self._bytes = 0
        self._runs = itertools.count(1)
        self._run_roots: list[Path] = []
        try:
            self.snapshot.mkdir()
            self._copy_folder(self.source, self.snapshot, depth=0)
            _make_read_only(self.snapshot)
        except BaseException:
            self.cleanup()
            raise
        if not any(self.has(name) or close_name(name, self.top_level_names()) for name in PROGRAMS):
            notes = "".join(f"\n  - {note}" for note in self.skipped)
            self.cleanup()
            raise SubmissionError(f"Ni serveur_exo.py ni client_exo.py dans « {self.source} »." + notes)

    def has(self, filename: str) -> bool:
        return (self.snapshot / filename).is_file()

    def top_level_names(self) -> list[str]:
        """The names of the files and folders copied directly in the snapshot, sorted."""
        return sorted(entry.name for entry in self.snapshot.iterdir())

    def path(self, filename: str) -> Path:
        """Where `filename` stands in the snapshot (to read it, never to run it)."""
        return self.snapshot / filename

    def new_workdir(self) -> Path:
        """A fresh copy of the snapshot, for one run of a program (which may change it freely).

        Each copy sits alone in a temporary folder of its own, away from the snapshot: a program that
        deletes its working folder, or "..", destroys nothing the next runs need."""
        run_root = Path(tempfile.mkdtemp(prefix=f"grader-execution-{next(self._runs)}-"))
        self._run_roots.append(run_root)
        workdir = run_root / "travail"
        for folder, _, files in os.walk(self.snapshot):
            target = workdir / Path(folder).relative_to(self.snapshot)
            target.mkdir()
            for name in files:
                shutil.copyfile(Path(folder) / name, target / name)
        return workdir

    def cleanup(self) -> None:
        """Remove the snapshot and every work folder (idempotent)."""
        for root in [*self._run_roots, self._root]:
            _remove_tree(root)
        self._run_roots.clear()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()

    # -- bounded copy --------------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        if len(self.skipped) < MAX_NOTES:
            self.skipped.append(text)

    def _copy_folder(self, folder: Path, target: Path, depth: int) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: (e.name not in PROGRAMS or depth > 0, e.name))
        except OSError as exc:
            self._note(f"{self._relative(folder)} : dossier illisible ({os_error(exc)})")
            return
        for entry in entries:
            relative = self._relative(Path(entry.path))
            if entry.is_symlink():
                self._note(f"{relative} : lien symbolique, non suivi")
            elif entry.is_dir(follow_symlinks=False):
                if entry.name in IGNORED_DIRS:
                    continue
                if depth + 1 > MAX_DEPTH:
                    self._note(f"{relative} : dossier trop profond, non copié")
                    continue
                (target / entry.name).mkdir()
                self._copy_folder(Path(entry.path), target / entry.name, depth + 1)
            elif entry.is_file(follow_symlinks=False):
                self._copy_file(Path(entry.path), target / entry.name, relative)

    def _copy_file(self, path: Path, target: Path, relative: str) -> None:
        if self._files >= MAX_FILES:
            self._note(f"{relative} : plus de {MAX_FILES} fichiers, non copié")
            return
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            self._note(f"{relative} : illisible ({os_error(exc)})")
            return
        with os.fdopen(fd, "rb") as source:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return
            if info.st_size > MAX_FILE_BYTES:
                self._note(f"{relative} : trop gros ({info.st_size} octets), non copié")
                return
            if self._bytes + info.st_size > MAX_TOTAL_BYTES:
                self._note(f"{relative} : au-delà de la taille totale copiée, non copié")
                return
            data = source.read(MAX_FILE_BYTES + 1)  # the file may have grown since fstat
        if len(data) > MAX_FILE_BYTES:
            self._note(f"{relative} : trop gros, non copié")
            return
        target.write_bytes(data)
        self._files += 1
        self._bytes += len(data)

    def _relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.source).as_posix()
        except ValueError:
            return str(path)


def _make_read_only(folder: Path) -> None:
    """Files and folders read-only: a program that wanders out of its working folder cannot delete them
    (unless it runs as an administrator, whom permissions do not stop)."""
    for current, _, files in os.walk(folder, topdown=False):
        for name in files:
            os.chmod(Path(current) / name, stat.S_IRUSR)
        os.chmod(current, stat.S_IRUSR | stat.S_IXUSR)


def _remove_tree(root: Path) -> None:
    if not root.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    if root.exists():  # read-only folders or files (the snapshot, or a program's doing)
        os.chmod(root, stat.S_IRWXU)
        for folder, folders, files in os.walk(root):  # each folder opened up before it is listed
            for path in (Path(folder) / name for name in folders + files):
                if not path.is_symlink():  # a link a program left must not lead a chmod elsewhere
                    os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(root, ignore_errors=True)


def close_name(program: str, names: list[str]) -> str | None:
    """The name among `names` that is `program` misnamed (another case, a missing "_exo"...), or None."""
    others = [name for name in names if name not in PROGRAMS]
    folded = [name.casefold() for name in others]
    close = difflib.get_close_matches(program.casefold(), folded, n=1, cutoff=CLOSE_NAME_RATIO)
    return others[folded.index(close[0])] if close else None
