"""Finding the submissions of a class: plain folders, .zip files, Moodle's "download all submissions".

A folder "holds" a submission when serveur_exo.py or client_exo.py is directly in it. Given a path that
does not hold one itself, each sub-folder or .zip at depth 1 or 2 that holds one (directly, or in its
single sub-folder) is a submission, named after that folder or zip.

Moodle's layout is recognised, zipped or not: `Prénom Nom_12345_assignsubmission_file_` folders (or, when
downloaded without folders, files named `Prénom Nom_12345_assignsubmission_file_serveur_exo.py`) give the
student's name and participant number; everything Moodle holds for one participant (several plugins'
folders, a zip the student handed in) is searched, up to two levels deep, for the programs. A participant
with no program gets an item that says so, graded 0: a student is never silently left out.

Zips are extracted safely (see archive.py) into one temporary folder that lives as long as the items;
each submission has its own extraction budget, and a zip refused while looking for a submission's programs
is named, with the reason, in that submission's error.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.archive import CLASS_BUDGET_BYTES, ArchiveRefused, Budget, copy_bounded, extract_zip
from grader.harness.exercise import PROGRAMS
from grader.harness.workspace import SubmissionError, close_name
from grader.model import Student

MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[A-Za-z0-9]+)(?:_(?P<rest>.*))?$")
IGNORED_NAMES = ("__MACOSX", "__pycache__")
MOODLE_SEARCH_LEVELS = 2  # how deep inside a participant's folder the programs may be
MAX_LISTED_FILES = 8


@dataclass
class BatchItem:
    """One submission of a batch: the folder to grade, or why it cannot be graded."""

    source: str  # shown to the teacher: the path as found (inside a zip: "classe.zip/Alice…")
    student: Student
    path: Path | None = None  # folder holding serveur_exo.py and/or client_exo.py
    error: str = ""  # French reason when path is None
    keep_alive: object = field(default=None, repr=False, compare=False)  # the temporary folder of extractions


@dataclass(frozen=True)
class _Node:
    """A folder (a real one or an extracted zip) and how to show it."""

    path: Path
    shown: str


def holds_submission(folder: Path) -> bool:
    """serveur_exo.py or client_exo.py is there, or a file of a close name (told "Renommez …" when graded)."""
    names = [entry.name for entry in _visible(folder) if _is_regular(entry)]
    return any(_is_regular(folder / name) or close_name(name, names) for name in PROGRAMS)


def _is_regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip" and _is_regular(path)


def _visible(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name.casefold())
    except OSError:
        return []
    return [p for p in entries if not p.name.startswith(".") and p.name not in IGNORED_NAMES]


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _containers(folder: Path) -> list[Path]:
    """Sub-folders (links not followed) and .zip files of a folder."""
    return [p for p in _visible(folder) if _is_folder(p) or _is_zip(p)]


class _Finder:
    def __init__(self) -> None:
        self.items: list[BatchItem] = []
        self.class_budget = Budget(CLASS_BUDGET_BYTES, "la classe")
        self.temp: tempfile.TemporaryDirectory | None = None
        self._opened: dict[Path, _Node | ArchiveRefused] = {}
        self._folders = 0

    # -- temporary folders and zips -------------------------------------------------------------
    def _new_folder(self, hint: str) -> Path:
        if self.temp is None:
            self.temp = tempfile.TemporaryDirectory(prefix="grader-lot-")
        self._folders += 1
        folder = Path(self.temp.name) / f"{self._folders:04d}-{hint[:40]}"
        folder.mkdir()
        return folder

    def _open(self, path: Path, shown: str, budget: Budget) -> _Node:
        """A folder as it is, or a zip extracted; ArchiveRefused for a zip that must not be."""
        if not _is_zip(path):
            return _Node(path, shown)
        if path not in self._opened:
            try:
                target = self._new_folder(path.stem)
                extract_zip(path, target, budget, shown)
                self._opened[path] = _Node(target, shown)
            except ArchiveRefused as refusal:
                self._opened[path] = refusal
        result = self._opened[path]
        if isinstance(result, ArchiveRefused):
            raise result
        return result

    def _children(self, node: _Node, budget: Budget, refusals: list[str]) -> list[_Node]:
        children = []
        for entry in _containers(node.path):
            try:
                children.append(self._open(entry, f"{node.shown}/{entry.name}", budget))
            except ArchiveRefused as refusal:
                refusals.append(str(refusal))
        return children

    def _find_root(
        self, starts: list[_Node], levels: int, *, unique: bool, budget: Budget, refusals: list[str]
    ) -> _Node | None:
        """The shallowest folder holding a submission, searching `levels` levels below `starts`; the zips
        refused on the way are told in `refusals`.

        With `unique`, two holders at the same level mean "several submissions here": None.
        """
        level = starts
        for _ in range(levels + 1):
            holders = [node for node in level if holds_submission(node.path)]
            if holders:
                return holders[0] if len(holders) == 1 or not unique else None
            level = [child for node in level for child in self._children(node, budget, refusals)]
        return None

    def _add(self, source: str, student: Student, root: _Node | None, error: str = "") -> None:
        self.items.append(BatchItem(source=source, student=student, path=root.path if root else None, error=error))

    # -- walking ---------------------------------------------------------------------------------
    def add_path(self, path: Path) -> None:
        if not path.exists():
            raise SubmissionError(f"Le chemin « {path} » n'existe pas.")
        if not path.is_dir() and not _is_zip(path):
            raise SubmissionError(f"« {path} » n'est ni un dossier ni une archive .zip.")
        try:
            node = self._open(path, str(path), self.class_budget)
        except ArchiveRefused as refusal:
            raise SubmissionError(str(refusal)) from None
        if holds_submission(node.path):
            self._add(node.shown, Student(identifier=path.stem if _is_zip(path) else path.name), node)
        else:
            self._scan(node, depth=2, prefix="")

    def _scan(self, folder: _Node, depth: int, prefix: str) -> None:
        """Each entry of `folder` in name order; Moodle entries grouped by participant number."""
        units: list[Path | Student] = []
        moodle: dict[str, list[Path]] = {}
        for entry in _visible(folder.path):
            match = MOODLE_NAME.match(entry.name)
            if match and (_is_folder(entry) or _is_regular(entry)):
                if match["id"] not in moodle:
                    moodle[match["id"]] = []
                    units.append(Student(identifier=match["id"], name=match["name"].strip()))
                moodle[match["id"]].append(entry)
            elif not match and (_is_folder(entry) or _is_zip(entry)):
                units.append(entry)
        for unit in units:
            if isinstance(unit, Student):
                self._moodle_participant(folder, unit, moodle[unit.identifier])
            else:
                self._plain_entry(folder, unit, depth, prefix)

    def _plain_entry(self, folder: _Node, entry: Path, depth: int, prefix: str) -> None:
        identifier = prefix + (entry.stem if _is_zip(entry) else entry.name)
        shown = f"{folder.shown}/{entry.name}"
        budget = Budget()  # this submission's own
        refusals: list[str] = []
        try:
            node = self._open(entry, shown, budget)
        except ArchiveRefused as refusal:
            self._add(shown, Student(identifier=identifier), None, str(refusal))
            return
        root = self._find_root([node], 1, unique=True, budget=budget, refusals=refusals)
        if root is not None:
            self._add(shown, Student(identifier=identifier), root)
        elif depth > 1:
            self._scan(node, depth - 1, prefix=identifier + "/")
        elif refusals:  # its programs may be in the zip that was refused: say so
            self._add(shown, Student(identifier=identifier), None, " ".join(refusals))

    def _moodle_participant(self, folder: _Node, student: Student, entries: list[Path]) -> None:
        """Everything Moodle holds for one participant, searched for the programs."""
        shown = f"{folder.shown}/{entries[0].name}"
        starts: list[_Node] = []
        refusals: list[str] = []
        budget = Budget()  # this participant's own
        flat_files = [e for e in entries if _is_regular(e) and not _is_zip(e)]
        if flat_files:  # downloaded without folders: this participant's files gathered in one folder
            gathered = self._new_folder(student.identifier)
            for entry in flat_files:
                match = MOODLE_NAME.match(entry.name)  # every entry here is one of the participant's
                name = match["rest"] if match else None
                try:
                    if name:
                        copy_bounded(entry, gathered / name, budget)
                except (OSError, ArchiveRefused) as error:
                    refusals.append(f"{entry.name} : copie impossible ({error}).")
            starts.append(_Node(gathered, shown))
        for entry in entries:
            if entry not in flat_files:
                try:
                    starts.append(self._open(entry, f"{folder.shown}/{entry.name}", budget))
                except ArchiveRefused as refusal:
                    refusals.append(str(refusal))
        root = self._find_root(starts, MOODLE_SEARCH_LEVELS, unique=False, budget=budget, refusals=refusals)
        if root is not None:
            self._add(shown, student, root)
        else:
            reason = " ".join(refusals) or "Aucun fichier serveur_exo.py ni client_exo.py dans ce rendu Moodle"
            self._add(shown, student, None, reason + ("" if refusals else _received(starts)))


def _received(nodes: list[_Node]) -> str:
    names = sorted({p.name for node in nodes for p in _visible(node.path)})
    if not names:
        return " (rendu vide)."
    listed = ", ".join(names[:MAX_LISTED_FILES]) + (", …" if len(names) > MAX_LISTED_FILES else "")
    return f" (reçu : {listed})."


def find_submissions(paths: list[Path]) -> list[BatchItem] | None:
    """The submissions under `paths`; None when a single path holds one itself (single mode).

    Raises SubmissionError (French) when a path is missing or nothing is found.
    """
    paths = [Path(p) for p in paths]
    if len(paths) == 1 and paths[0].is_dir() and holds_submission(paths[0]):
        return None
    finder = _Finder()
    for path in paths:
        finder.add_path(path)
    for item in finder.items:
        item.keep_alive = finder.temp
    if not finder.items:
        shown = ", ".join(f"« {p} »" for p in paths)
        raise SubmissionError(
            f"Aucune soumission trouvée dans {shown} : ni serveur_exo.py ni client_exo.py, ni dans un "
            "sous-dossier ou une archive .zip (profondeur 1 ou 2)."
        )
    return finder.items
