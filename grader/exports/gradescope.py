"""`--gradescope`: Gradescope's `results.json` (one submission: Gradescope grades one at a time).

Top-level `score` is the /20 grade (it overrides the sum of the tests, so a custom scale or the bonus
rule is honoured); one test per check with its id as `number`, its points as `score`/`max_score`,
`status` "passed"/"failed", the French message as `output` in Markdown (`output_format` "md": the
status in bold, the message in a code block whose fence no student text can close), and the
`visibility` the scale file gives it (`[visibilite]`, default "visible").
"""

from __future__ import annotations

import json
import re

from grader.exports.common import status_label
from grader.formats import french_number
from grader.model import Category, CheckResult, SubmissionReport

VISIBLE = "visible"
_BACKTICKS = re.compile(r"`+")


def code_block(text: str) -> str:
    """`text` verbatim in Markdown: a fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _output(result: CheckResult) -> str:
    verdict = "Bonus non tenté" if result.bonus_not_tried else f"Vérification {status_label(result.status)}"
    head = f"**{verdict}.**"
    return head + ("\n\n" + code_block(result.message) if result.message else "")


def _test(result: CheckResult, visibility: dict[str, str]) -> dict:
    name = f"{result.spec.id} — {result.spec.title}"
    if result.spec.category is Category.BONUS:
        name += " (bonus)"
    return {
        "name": name,
        "number": result.spec.id,
        "score": round(result.points, 2),
        "max_score": round(result.points_max, 2),
        "status": "passed" if result.passed else "failed",
        "output": _output(result),
        "output_format": "md",
        "visibility": visibility.get(result.spec.id, VISIBLE),
    }


def render(report: SubmissionReport, visibility: dict[str, str] | None = None) -> str:
    summary = f"**Note : {french_number(report.note)} / 20**"
    if report.bonus_max:
        summary += f" — bonus : {french_number(report.bonus)} / {french_number(report.bonus_max)}"
    if report.fatal_error:
        summary += "\n\nCorrection impossible :\n\n" + code_block(report.fatal_error)
    data = {
        "score": report.note,
        "output": summary,
        "output_format": "md",
        "visibility": VISIBLE,
        "stdout_visibility": "hidden",
        "tests": [_test(result, visibility or {}) for result in report.results],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
