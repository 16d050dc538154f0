"""`--classroom`: the result JSON of GitHub Classroom's autograding runners (one repository = one submission).

The shape is that of `classroom-resources/autograding-python-grader` (the exercism test runner format,
version 3, plus scores), which `classroom-resources/autograding-grading-reporter` reads from a step output
in base64 (see docs/guide-enseignant.md):

    {"version": 3, "status": "pass" | "fail" | "error", "max_score": 20,
     "tests": [{"name", "status": "pass" | "fail" | "error", "message", "score", "max_score"}]}

The reporter adds up the tests' `score`: here they are on the /20 scale, so their sum is the grade.
A bonus check scores only when the scale puts the bonus in the grade, within its cap.
"""

from __future__ import annotations

import json

from grader.exports.common import required_results, status_label
from grader.model import NOTE_MAX, Category, CheckResult, Status, SubmissionReport

VERSION = 3


def _status(result: CheckResult) -> str:
    if result.passed:
        return "pass"
    return "error" if result.status is Status.ERROR else "fail"


def _scores(report: SubmissionReport) -> dict[str, tuple[float, float]]:
    """check id -> (score, max_score) on the /20 scale; the scores add up to the grade."""
    base_max = sum(r.points_max for r in required_results(report))
    factor = NOTE_MAX / base_max if base_max else 0.0
    scores = {r.spec.id: (r.points * factor, r.points_max * factor) for r in required_results(report)}
    bonus_left = report.note - sum(score for score, _ in scores.values())  # what the bonus really added
    for result in report.results:
        if result.spec.category is not Category.BONUS:
            continue
        if report.bonus_counts_in_grade:
            earned = max(0.0, min(result.points, bonus_left))
            bonus_left -= earned
            scores[result.spec.id] = (earned, result.points_max)
        else:
            scores[result.spec.id] = (0.0, 0.0)
    return scores


def _test(result: CheckResult, score: float, max_score: float) -> dict:
    message = f"Vérification {status_label(result.status)}."
    if result.spec.category is Category.BONUS and max_score == 0:
        message += " Bonus hors note."
    if result.message:
        message += "\n" + result.message
    return {
        "name": f"{result.spec.id} — {result.spec.title}",
        "status": _status(result),
        "message": message,
        "score": round(score, 2),
        "max_score": round(max_score, 2),
    }


def render(report: SubmissionReport) -> str:
    if report.fatal_error or report.has_internal_error:
        status = "error"
    else:
        status = "pass" if report.all_required_passed else "fail"
    scores = _scores(report)
    data = {
        "version": VERSION,
        "status": status,
        "max_score": NOTE_MAX,
        "tests": [_test(r, *scores[r.spec.id]) for r in report.results],
    }
    if report.fatal_error:
        data["message"] = report.fatal_error
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
