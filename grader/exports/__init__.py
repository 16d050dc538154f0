"""The exports teaching platforms read, written from finished `SubmissionReport`s.

`write_exports(reports, args)` writes every format asked on the command line (several at once):
--csv (and --csv-format), --json, --gradescope, --classroom, --junit, --html (files) and --vpl (stdout).
Gradescope, GitHub Classroom and VPL grade one submission at a time: asking for them with several
submissions is a usage error (`ExportError`, French), which `usage_problem()` tells before grading starts.

Only the grader process writes them, once grading is over (the students' programs are gone), each
atomically: a temporary file in the destination's folder, renamed onto the destination (a link there is
replaced, never followed). `remove_previous_exports(args)`, called before grading starts, deletes what
the destinations held: a run stopped or killed midway leaves no file there, rather than an old one
that could be taken for this run's result.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from grader.exports import classroom, csv_grades, gradescope, html_report, json_report, junit, vpl
from grader.model import SubmissionReport

_SINGLE_ONLY = (("gradescope", "--gradescope"), ("classroom", "--classroom"), ("vpl", "--vpl"))


class ExportError(Exception):
    """An export that cannot be written; the message is French."""


def usage_problem(args: argparse.Namespace, submission_count: int) -> str | None:
    """The French reason these export options cannot apply to that many submissions, or None."""
    if submission_count <= 1:
        return None
    asked = [flag for attr, flag in _SINGLE_ONLY if getattr(args, attr, None)]
    if not asked:
        return None
    return (
        f"{' et '.join(asked)} ne s'utilise qu'avec une seule soumission (la plateforme corrige un rendu à la "
        f"fois), or {submission_count} soumissions ont été trouvées. Utilisez --csv, --json, --junit ou --html "
        "pour une classe."
    )


def _file_exports(args: argparse.Namespace, single: bool) -> list[tuple[str, str, Callable[[list[SubmissionReport]], str]]]:
    """(destination attribute, file encoding, renderer) of every file format."""
    csv_format = getattr(args, "csv_format", None) or "fr"
    return [
        ("csv", csv_grades.ENCODING, lambda reports: csv_grades.render(reports, csv_format)),
        ("json", "utf-8", lambda reports: json_report.render(reports, single=single)),
        ("gradescope", "utf-8", lambda reports: gradescope.render(reports[0])),
        ("classroom", "utf-8", lambda reports: classroom.render(reports[0])),
        ("junit", "utf-8", junit.render),
        ("html", "utf-8", html_report.render),
    ]


def _destinations(args: argparse.Namespace) -> list[Path]:
    return [Path(getattr(args, attr)) for attr, _, _ in _file_exports(args, single=False) if getattr(args, attr, None)]


def remove_previous_exports(args: argparse.Namespace) -> None:
    """Delete the files the export destinations hold (a folder there is a usage error)."""
    for path in _destinations(args):
        if path.is_dir() and not path.is_symlink():
            raise ExportError(f"{path} est un dossier : donnez un nom de fichier.")
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise ExportError(f"impossible d'écrire {path} : {error.strerror or error}") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, text: str, encoding: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with open(fd, "w", encoding=encoding, newline="") as stream:
                stream.write(text)
            os.chmod(temporary, 0o666 & ~_umask())  # as a plain write would have made it (mkstemp: 0600)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise ExportError(f"impossible d'écrire {path} : {error.strerror or error}") from None


def write_exports(reports: list[SubmissionReport], args: argparse.Namespace, *, single: bool = False) -> None:
    """Write every export asked in `args` (attributes None/False when absent). `single`: one submission
    graded on its own (not a class), whose --json is the submission's object itself."""
    problem = usage_problem(args, len(reports))
    if problem:
        raise ExportError(problem)
    for attr, encoding, render in _file_exports(args, single):
        destination = getattr(args, attr, None)
        if destination:
            _write(Path(destination), render(reports), encoding)
    if getattr(args, "vpl", False) and reports:
        sys.stdout.write(vpl.render(reports[0]))
        sys.stdout.flush()
