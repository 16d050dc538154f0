"""`--vpl`: the lines Moodle VPL reads on the standard output of its evaluation.

`Comment :=>>` lines are shown to the student (a line starting with `-` is a title, one starting with
`>` is preformatted); the last `Grade :=>> 14.5` line is the grade, with a decimal dot.
"""

from __future__ import annotations

from grader.exports.common import clean_text, status_label
from grader.formats import dot_number, french_number
from grader.model import Category, SubmissionReport

COMMENT = "Comment :=>>"
GRADE = "Grade :=>>"


def _preformatted(text: str) -> list[str]:
    return [f"{COMMENT}>{line}" for line in clean_text(text.strip()).splitlines()]


def render(report: SubmissionReport) -> str:
    lines = [f"{COMMENT}-Note : {french_number(report.note)} / 20"]
    if report.fatal_error:
        lines.append(f"{COMMENT}Correction impossible :")
        lines += _preformatted(report.fatal_error)
    for result in report.results:
        bonus = " (bonus)" if result.spec.category is Category.BONUS else ""
        mark = "✓" if result.passed else "✗"
        lines.append(
            f"{COMMENT}{mark} {result.spec.id} {result.spec.title}{bonus} : {status_label(result.status)}, "
            f"{french_number(result.points)} / {french_number(result.points_max)}"
        )
        if not result.passed and result.message:
            lines += _preformatted(result.message)
    lines.append(f"{GRADE} {dot_number(report.note)}")
    return "\n".join(lines) + "\n"
