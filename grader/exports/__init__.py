"""The exports teaching platforms read, written from finished `SubmissionReport`s.

`write_exports(reports, args)` writes every format asked on the command line (several at once):
--csv (and --csv-format), --json, --gradescope, --classroom, --junit, --html (files), --vpl (stdout) and
--feuille-moodle (Moodle's grading worksheet, filled next to the download; see moodle_worksheet.py).
Gradescope, GitHub Classroom and VPL grade one submission at a time: asking for them with several
submissions is a usage error (`ExportError`, French), which `usage_problem()` tells before grading starts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from grader.exports import classroom, csv_grades, gradescope, html_report, json_report, junit, moodle_worksheet, vpl
from grader.catalogue import load_catalogue
from grader.model import SubmissionReport
from grader.scale import load_scale

_SINGLE_ONLY = (("gradescope", "--gradescope"), ("classroom", "--classroom"), ("vpl", "--vpl"))


class ExportError(Exception):
    """An export that cannot be written; the message is French."""


def usage_problem(args: argparse.Namespace, submission_count: int) -> str | None:
    """The French reason these export options cannot apply to that many submissions, or None. The Moodle
    worksheet is read here, so that a wrong file is told before grading starts."""
    worksheet = getattr(args, "feuille_moodle", None)
    if worksheet:
        try:
            moodle_worksheet.read_worksheet(Path(worksheet))
        except moodle_worksheet.WorksheetError as error:
            return str(error)
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
        ("gradescope", "utf-8", lambda reports: gradescope.render(reports[0], _visibility(args))),
        ("classroom", "utf-8", lambda reports: classroom.render(reports[0])),
        ("junit", "utf-8", junit.render),
        ("html", "utf-8", html_report.render),
    ]


def _visibility(args: argparse.Namespace) -> dict[str, str]:
    """Gradescope's visibility of each check, from the scale file (already checked before grading)."""
    if not getattr(args, "bareme", None):
        return {}
    return load_scale(Path(args.bareme), load_catalogue()).visibility


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise ExportError(f"impossible d'écrire {path} : {error.strerror or error}") from None


def _fill_worksheet(path: Path, reports: list[SubmissionReport], absent_zero: bool) -> None:
    try:
        filled = moodle_worksheet.fill(path, reports, absent_zero=absent_zero)
    except moodle_worksheet.WorksheetError as error:
        raise ExportError(str(error)) from None
    destination = moodle_worksheet.filled_path(path)
    _write(destination, filled.data)
    print(moodle_worksheet.summary(filled, destination, absent_zero), file=sys.stderr)


def write_exports(reports: list[SubmissionReport], args: argparse.Namespace, *, single: bool = False) -> None:
    """Write every export asked in `args` (attributes None/False when absent). `single`: one submission
    graded on its own (not a class), whose --json is the submission's object itself."""
    problem = usage_problem(args, len(reports))
    if problem:
        raise ExportError(problem)
    for attr, encoding, render in _file_exports(args, single):
        destination = getattr(args, attr, None)
        if destination:
            _write(Path(destination), render(reports).encode(encoding))
    if getattr(args, "classroom", None) and reports:  # the second runner, next to the first
        _write(classroom.note_path(Path(args.classroom)), classroom.render_grade(reports[0]).encode())
    worksheet = getattr(args, "feuille_moodle", None)
    if worksheet:
        _fill_worksheet(Path(worksheet), reports, bool(getattr(args, "absents_a_zero", False)))
    if getattr(args, "vpl", False) and reports:
        sys.stdout.write(vpl.render(reports[0]))
        sys.stdout.flush()
