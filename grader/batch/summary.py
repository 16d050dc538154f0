"""The table printed at the end of a batch: student, grade, bonus, checks failed.

Names come from folder and zip names and errors from the grading processes: every cell is made
`printable` (a control character is shown as its picture, never obeyed by the terminal)."""

from __future__ import annotations

import statistics

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from grader.exports.common import headline, required_results
from grader.formats import french_number
from grader.harness.lines import printable
from grader.model import Status, SubmissionReport


def failed_checks(report: SubmissionReport) -> str:
    """'S03, S05 (+2 ignorées)', or why the submission could not be graded."""
    if report.fatal_error:
        return f"correction impossible : {headline(report.fatal_error)}"
    required = required_results(report)
    failed = [r.spec.id for r in required if r.status in (Status.FAILED, Status.ERROR)]
    skipped = sum(r.status is Status.SKIPPED for r in required)
    text = ", ".join(failed) or "aucune"
    return text + (f" (+{skipped} ignorée{'s' if skipped > 1 else ''})" if skipped else "")


def print_batch_summary(console: Console, reports: list[SubmissionReport]) -> None:
    table = Table(title="Résultats de la classe", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("Étudiant", "left"),
        ("Identifiant", "left"),
        ("Note /20", "right"),
        ("Bonus", "right"),
        ("Vérifications échouées", "left"),
    )
    for header, justify in columns:
        table.add_column(header, justify=justify)
    for report in reports:
        student = report.student
        grade_style = "green" if report.all_required_passed else "red"
        table.add_row(
            Text(printable(student.name if student and student.name else "—")),
            Text(printable(student.identifier if student else report.submission)),
            Text(french_number(report.note), style=grade_style),
            Text(french_number(report.bonus)),
            Text(printable(failed_checks(report))),
        )
    console.print(table)
    grades = [report.note for report in reports]
    perfect = sum(report.all_required_passed for report in reports)
    console.print(
        f"{len(reports)} soumission(s) — moyenne {french_number(round(statistics.mean(grades), 2))} / 20 — "
        f"{perfect} sans échec hors bonus.",
        markup=False,
    )
    partial = next((report for report in reports if report.selection), None)
    if partial is not None:
        note = partial.partial_note()
        console.print(f"{note[0].upper()}{note[1:]} (--only).", markup=False, style="bold yellow")
    for isolation in {report.isolation for report in reports if report.isolation is not None}:  # one, normally
        console.print(Text(isolation.line(), style="dim" if isolation.confined else "bold yellow"))
