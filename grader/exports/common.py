"""What several export formats share: labels, numbers, the short French comment, XML-safe text."""

from __future__ import annotations

import re

from grader.model import Category, CheckResult, CheckSpec, Status, SubmissionReport

MOODLE_RECORD_PREFIX = "Participant "  # how Moodle's grading worksheet names a participant number

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def student_label(report: SubmissionReport) -> str:
    """The student's name, else their identifier, else the submission path."""
    if report.student is not None:
        return report.student.name or report.student.identifier
    return report.submission


def record_identifier(report: SubmissionReport) -> str:
    """The identifier a grade import matches on: `Participant 12345` for a Moodle download."""
    student = report.student
    if student is None:
        return report.submission
    if student.name and student.identifier.isdigit():  # named folder + number: Moodle's layout
        return MOODLE_RECORD_PREFIX + student.identifier
    return student.identifier


def required_results(report: SubmissionReport) -> list[CheckResult]:
    return [r for r in report.results if r.spec.category is not Category.BONUS]


def short_comment(report: SubmissionReport) -> str:
    """One French sentence or three: what failed, what was not evaluated, the bonus earned; first of all,
    when --only was used, that the grade is partial."""
    partial = report.partial_note()
    return (partial[0].upper() + partial[1:] + ". " if partial else "") + _outcome_comment(report)


def _outcome_comment(report: SubmissionReport) -> str:
    if report.fatal_error:
        return f"Correction impossible : {headline(report.fatal_error)}"
    required = required_results(report)
    failed = [r for r in required if r.status in (Status.FAILED, Status.ERROR)]
    skipped = [r.spec.id for r in required if r.status is Status.SKIPPED]
    parts = []
    if failed:
        parts.append("À revoir : " + ", ".join(f"{r.spec.id} {r.spec.title}" for r in failed))
    if skipped:
        parts.append("Non évaluées (prérequis échoué) : " + ", ".join(skipped))
    if not parts:
        parts.append("Toutes les vérifications obligatoires sont réussies")
    bonus = [r.spec.id for r in report.results if r.spec.category is Category.BONUS and r.passed]
    if bonus:
        parts.append("Bonus réussis : " + ", ".join(bonus))
    return ". ".join(parts) + "."


def headline(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def status_label(status: Status) -> str:
    return {
        Status.PASSED: "réussie",
        Status.FAILED: "échouée",
        Status.SKIPPED: "ignorée",
        Status.ERROR: "erreur du correcteur",
    }[status]


def clean_text(text: str) -> str:
    """Replace control characters (which XML 1.0 cannot hold, which a console would obey) by U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def check_columns(reports: list[SubmissionReport]) -> list[CheckSpec]:
    """Every check seen in any report, once, in grading order."""
    seen: dict[str, CheckSpec] = {}
    for report in reports:
        for result in report.results:
            seen.setdefault(result.spec.id, result.spec)
    return list(seen.values())
