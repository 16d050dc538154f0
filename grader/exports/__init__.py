"""The exports teaching platforms read, written from finished `SubmissionReport`s.

`write_exports(reports, options)` writes every format asked on the command line (an `ExportOptions`),
several at once: --csv (and --csv-format), --json, --gradescope, --classroom, --junit, --html (files),
--vpl (stdout) and --feuille-moodle (Moodle's grading worksheet, filled next to the download; see
moodle_worksheet.py).
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
from dataclasses import dataclass, field
from pathlib import Path

from grader.exports import classroom, csv_grades, gradescope, html_report, json_report, junit, moodle_worksheet, vpl
from grader.harness.french import os_error
from grader.model import SubmissionReport
from grader.similarity import Pair


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
    moodle_worksheet: Path | None = None  # the grading worksheet downloaded from Moodle, to fill
    absent_zero: bool = False  # in that worksheet: 0 and a comment for participants without a graded submission
    visibility: dict[str, str] = field(default_factory=dict)  # Gradescope: check id -> visibility (scale file)

    def gradebook(self) -> list[str]:
        """The options asked that hand the grade straight to a platform's gradebook, where no word can
        say it is partial (the files a teacher reads, --csv --json --junit --html, say it themselves)."""
        asked = {
            "--feuille-moodle": self.moodle_worksheet,
            "--gradescope": self.gradescope,
            "--classroom": self.classroom,
            "--vpl": self.vpl,
        }
        return [flag for flag, value in asked.items() if value]

    def any_asked(self) -> bool:
        return bool(self.gradebook() or self.csv or self.json or self.junit or self.html)

    def single_only(self) -> list[str]:
        """The options asked that grade one submission at a time (the platform's way)."""
        asked = {"--gradescope": self.gradescope, "--classroom": self.classroom, "--vpl": self.vpl}
        return [flag for flag, value in asked.items() if value]


def partial_problem(options: ExportOptions) -> str | None:
    """Why these exports cannot go with --only (French), or None: a partial grade never reaches a gradebook.
    --csv, --json, --junit and --html stay: each says the grade is partial."""
    asked = options.gradebook()
    if not asked:
        return None
    return (
        f"--only donne une note partielle (seulement les vérifications demandées) : {', '.join(asked)} la "
        "transmettrait à la plateforme comme la note de la soumission. Corrigez sans --only pour envoyer les "
        "notes (--csv, --json, --junit et --html restent possibles : ils indiquent que la note est partielle)."
    )


def usage_problem(options: ExportOptions, submission_count: int) -> str | None:
    """The French reason these export options cannot apply to that many submissions, or None. The Moodle
    worksheet is read here, so that a wrong file is told before grading starts."""
    if options.moodle_worksheet:
        try:
            moodle_worksheet.read_worksheet(options.moodle_worksheet)
        except moodle_worksheet.WorksheetError as error:
            return str(error)
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


def _file_exports(
    options: ExportOptions, single: bool, similarity: list[Pair] | None = None
) -> list[tuple[Path | None, str, Renderer]]:
    """(destination, file encoding, renderer) of every file format."""
    return [
        (options.csv, csv_grades.ENCODING, lambda reports: csv_grades.render(reports, options.csv_format)),
        (options.json, "utf-8", lambda reports: json_report.render(reports, single=single)),
        (options.gradescope, "utf-8", lambda reports: gradescope.render(reports[0], options.visibility)),
        (options.classroom, "utf-8", lambda reports: classroom.render(reports[0])),
        (options.junit, "utf-8", junit.render),
        (options.html, "utf-8", lambda reports: html_report.render(reports, similarity)),
    ]


def _destinations(options: ExportOptions) -> list[Path]:
    """Every file the exports asked will write: the formats', the second Classroom runner, the filled
    Moodle worksheet (never the worksheet downloaded, which is read)."""
    paths = [path for path, _, _ in _file_exports(options, single=False) if path is not None]
    if options.classroom:
        paths.append(classroom.note_path(options.classroom))
    if options.moodle_worksheet:
        paths.append(moodle_worksheet.filled_path(options.moodle_worksheet))
    return paths


def remove_previous_exports(options: ExportOptions) -> None:
    """Delete the files the export destinations hold (a folder there is a usage error)."""
    for path in _destinations(options):
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


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with open(fd, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, 0o666 & ~_umask())  # as a plain write would have made it (mkstemp: 0600)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise ExportError(f"impossible d'écrire {path} : {os_error(error)}") from None


def _fill_worksheet(path: Path, reports: list[SubmissionReport], absent_zero: bool) -> None:
    try:
        filled = moodle_worksheet.fill(path, reports, absent_zero=absent_zero)
    except moodle_worksheet.WorksheetError as error:
        raise ExportError(str(error)) from None
    destination = moodle_worksheet.filled_path(path)
    _write(destination, filled.data)
    print(moodle_worksheet.summary(filled, destination, absent_zero), file=sys.stderr)


def write_exports(
    reports: list[SubmissionReport],
    options: ExportOptions,
    *,
    single: bool = False,
    similarity: list[Pair] | None = None,
) -> None:
    """Write every export asked. `single`: one submission graded on its own (not a class), whose --json
    is the submission's object itself. `similarity`: the class's pairs (--similarite), for --html."""
    problem = usage_problem(options, len(reports))
    if problem:
        raise ExportError(problem)
    for destination, encoding, render in _file_exports(options, single, similarity):
        if destination:
            _write(destination, render(reports).encode(encoding))
    if options.classroom and reports:  # the second runner, next to the first
        _write(classroom.note_path(options.classroom), classroom.render_grade(reports[0]).encode())
    if options.moodle_worksheet:
        _fill_worksheet(options.moodle_worksheet, reports, options.absent_zero)
    if options.vpl and reports:
        sys.stdout.write(vpl.render(reports[0]))
        sys.stdout.flush()
