"""`--gradescope`: Gradescope's `results.json` (one submission: Gradescope grades one at a time).

Top-level `score` is the /20 grade (it overrides the sum of the tests, so a custom scale or the bonus
rule is honoured); one test per check with its id as `number`, its points as `score`/`max_score`,
`status` "passed"/"failed" and the French message as `output`.
"""

from __future__ import annotations

import json

from grader.exports.common import status_label
from grader.formats import french_number
from grader.model import Category, CheckResult, SubmissionReport


def _test(result: CheckResult) -> dict:
    name = f"{result.spec.id} — {result.spec.title}"
    if result.spec.category is Category.BONUS:
        name += " (bonus)"
    output = f"Vérification {status_label(result.status)}."
    if result.message:
        output += "\n" + result.message
    return {
        "name": name,
        "number": result.spec.id,
        "score": round(result.points, 2),
        "max_score": round(result.points_max, 2),
        "status": "passed" if result.passed else "failed",
        "output": output,
        "visibility": "visible",
    }


def render(report: SubmissionReport) -> str:
    summary = f"Note : {french_number(report.note)} / 20"
    if report.bonus_max:
        summary += f" — bonus : {french_number(report.bonus)} / {french_number(report.bonus_max)}"
    if report.fatal_error:
        summary += f"\nCorrection impossible : {report.fatal_error}"
    data = {
        "score": report.note,
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test(result) for result in report.results],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
