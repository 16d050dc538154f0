"""`--classroom`: the results GitHub Classroom's official reporter reads, as two "runners".

`classroom-resources/autograding-grading-reporter` (read and run: scripts/verifier_classroom.py) takes
each runner's JSON (the exercism format, version 3, plus scores) from `<RUNNER>_RESULTS` in base64, and:

- prints each test as `✅ name` / `❌ name`, adds ` - line <line_no>` unless `line_no` is 0, then prints
  its `test_code` (never `message`): so `line_no` is 0 and `test_code` holds the French explanation;
- prints "Total points for <runner>" as (tests passed / tests) × max_score, whatever each test's score;
- records in Classroom the sum of the tests' `score` over the runners whose `max_score` is not 0.

One runner cannot make both totals the grade when checks weigh differently, so the kit writes two:

- `chat` (the file given to --classroom): one test per check with its French message; `max_score` 0,
  so it is shown but neither totalled in the log nor recorded;
- `note` (same name, `-note` before the extension): the grade as n equal parts, k of them passed, with
  k/n × 20 printed as the grade to the hundredth and the whole grade as the score of the first part,
  so the log's total and the recorded points are both the grade. n is the smallest that does it: 1 for
  20/20 or 0, 8 for 17,5, at most 40 with half points (see grade_parts for odd custom scales).
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.exports.common import headline, required_results, status_label
from grader.formats import french_number
from grader.model import NOTE_MAX, Category, CheckResult, Status, SubmissionReport

VERSION = 3
_BONUS_MARK = {Category.BONUS: " (bonus)"}
MAX_PARTS = 100  # a log of at most 100 lines: exact for every grade in halves or quarters of a point


def note_path(path: Path) -> Path:
    """Where the `note` runner goes, next to the `chat` one."""
    return path.with_name(f"{path.stem}-note{path.suffix or '.json'}")


def _status(result: CheckResult) -> str:
    if result.passed:
        return "pass"
    return "error" if result.status is Status.ERROR else "fail"


def _overall(report: SubmissionReport) -> str:
    if report.fatal_error or report.has_internal_error:
        return "error"
    return "pass" if report.all_required_passed else "fail"


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


def _explanation(result: CheckResult, max_score: float) -> str:
    if result.bonus_not_tried:  # one line: the transcript of a bonus never tried would only be noise
        return headline(result.message)
    text = f"Vérification {status_label(result.status)}."
    if result.spec.category is Category.BONUS and max_score == 0:
        text += " Bonus hors note."
    if result.message:
        text += "\n" + result.message
    return text


def _check_test(result: CheckResult, score: float, max_score: float) -> dict:
    explanation = _explanation(result, max_score)
    test = {
        "name": f"{result.spec.id} — {result.spec.title}" + _BONUS_MARK.get(result.spec.category, ""),
        "status": _status(result),
        "message": explanation,
        "line_no": 0,
        "score": round(score, 2),
        "max_score": round(max_score, 2),
    }
    if not result.passed or result.message:
        test["test_code"] = explanation  # what the reporter prints under the test's name
    return test


def render(report: SubmissionReport) -> str:
    """The `chat` runner: every check and its French message, not totalled."""
    scores = _scores(report)
    data: dict = {
        "version": VERSION,
        "status": _overall(report),
        "max_score": 0,
        "tests": [_check_test(r, *scores[r.spec.id]) for r in report.results],
    }
    if report.fatal_error:
        data["message"] = report.fatal_error
        data["tests"].insert(
            0,
            {
                "name": "Correction",
                "status": "error",
                "message": report.fatal_error,
                "test_code": report.fatal_error,
                "line_no": 0,
                "score": 0,
                "max_score": 0,
            },
        )
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def grade_parts(grade: float) -> tuple[int, int]:
    """(k, n): the fewest equal parts n, k of them passed, whose k/n × 20 the reporter prints as `grade`
    (its own arithmetic, then toFixed(2)); past MAX_PARTS, the nearest (a custom scale's 19,99 shows as
    20.00 on that line, while the points recorded stay 19,99 and the kit's own report says 19,99)."""
    candidates = []
    for parts in range(1, MAX_PARTS + 1):
        passed = round(grade * parts / NOTE_MAX)
        shown = (passed / parts) * NOTE_MAX
        if f"{shown:.2f}" == f"{grade:.2f}":
            return passed, parts
        candidates.append((abs(shown - grade), parts, passed))
    _, parts, passed = min(candidates)
    return passed, parts


def render_grade(report: SubmissionReport) -> str:
    """The `note` runner: the grade as equal parts (see the module's docstring)."""
    passed, parts = grade_parts(report.note)
    size = french_number(NOTE_MAX / parts)
    title = f"Note : {french_number(report.note)} / 20"
    tests = []
    for index in range(parts):
        won = index < passed
        verdict = "obtenus" if won else "perdus"
        name = title if parts == 1 else f"{title} — partie {index + 1}/{parts} ({size} point(s) {verdict})"
        tests.append(
            {
                "name": name,
                "status": "pass" if won else "fail",
                "line_no": 0,
                "score": report.note if index == 0 else 0,
                "max_score": 0,
            }
        )
    data = {"version": VERSION, "status": _overall(report), "max_score": NOTE_MAX, "tests": tests}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
