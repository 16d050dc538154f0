"""The exports teaching platforms read, written from finished `SubmissionReport`s.

`write_exports(reports, options)` writes every format asked on the command line (an `ExportOptions`),
several at once: --csv (and --csv-format), --json, --gradescope, --classroom, --junit, --html (files)
and --vpl (stdout).
Gradescope, GitHub Classroom and VPL grade one submission at a time: asking for them with several
submissions is a usage error (`ExportError`, French), which `usage_problem()` tells before grading starts.

Only the grader process writes them, once grading is over (the students' programs are gone), each
atomically: a temporary file in the destination's folder, renamed onto the destination (a link there is
replaced, never followed). `remove_previous_exports(options)`, called before grading starts, deletes
what the destinations held: a run stopped or killed midway leaves no file there, rather than an old one
that could be taken for this run's result.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.exports import classroom, csv_grades, gradescope, html_report, json_report, junit, vpl
from grader.harness.french import os_error
from grader.model import SubmissionReport


class ExportError(Exception):
    """An export that cannot be written; the message is French."""


@dataclass(frozen=True)
class ExportOptions:
    """The exports asked on the command line: where each file goes (None: not asked)."""

    csv: Path | None = None
    csv_format: str = "fr"  # "fr": « ; » and decimal comma; "intl": « , » and point
    json: Path | None = None
    gradescope: Path | None = None
    classroom: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    vpl: bool = False  # VPL's lines on stdout

    def single_only(self) -> list[str]:
        """The options asked that grade one submission at a time (the platform's way)."""
        asked = {"--gradescope": self.gradescope, "--classroom": self.classroom, "--vpl": self.vpl}
        return [flag for flag, value in asked.items() if value]


def usage_problem(options: ExportOptions, submission_count: int) -> str | None:
    """The French reason these export options cannot apply to that many submissions, or None."""
    if submission_count <= 1:
        return None
    asked = options.single_only()
    if not asked:
        return None
    return (
        f"{' et '.join(asked)} ne s'utilise qu'avec une seule soumission (la plateforme corrige un rendu à la "
        f"fois), or {submission_count} soumissions ont été trouvées. Utilisez --csv, --json, --junit ou --html "
        "pour une classe."
    )


Renderer = Callable[[list[SubmissionReport]], str]


def _file_exports(options: ExportOptions, single: bool) -> list[tuple[Path | None, str, Renderer]]:
    """(destination, file encoding, renderer) of every file format."""
    return [
        (options.csv, csv_grades.ENCODING, lambda reports: csv_grades.render(reports, options.csv_format)),
        (options.json, "utf-8", lambda reports: json_report.render(reports, single=single)),
        (options.gradescope, "utf-8", lambda reports: gradescope.render(reports[0])),
        (options.classroom, "utf-8", lambda reports: classroom.render(reports[0])),
        (options.junit, "utf-8", junit.render),
        (options.html, "utf-8", html_report.render),
    ]


def remove_previous_exports(options: ExportOptions) -> None:
    """Delete the files the export destinations hold (a folder there is a usage error)."""
    for path, _, _ in _file_exports(options, single=False):
        if path is None:
            continue
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
        raise ExportError(f"impossible d'écrire {path} : {os_error(error)}") from None


def write_exports(reports: list[SubmissionReport], options: ExportOptions, *, single: bool = False) -> None:
    """Write every export asked. `single`: one submission graded on its own (not a class), whose --json
    is the submission's object itself."""
    problem = usage_problem(options, len(reports))
    if problem:
        raise ExportError(problem)
    for destination, encoding, render in _file_exports(options, single):
        if destination:
            _write(destination, render(reports), encoding)
    if options.vpl and reports:
        sys.stdout.write(vpl.render(reports[0]))
        sys.stdout.flush()
