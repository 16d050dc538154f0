"""The report model: grades out of 20, bonus rules, French numbers, JSON round trip."""

from __future__ import annotations

import pytest

from grader.formats import french_number
from grader.model import Category, CheckResult, CheckSpec, Status, Student, SubmissionReport


def result(check_id: str, category: Category, points_max: float, status: Status) -> CheckResult:
    spec = CheckSpec(check_id, f"titre {check_id}", points_max, category)
    return CheckResult(spec, status, points_max if status is Status.PASSED else 0.0, points_max, "msg", 0.1)


def report(**kwargs) -> SubmissionReport:
    results = [
        result("S01", Category.SERVER, 10, Status.PASSED),
        result("S02", Category.SERVER, 3, Status.FAILED),
        result("C01", Category.CLIENT, 7, Status.PASSED),
        result("B01", Category.BONUS, 0.5, Status.PASSED),
        result("B02", Category.BONUS, 0.5, Status.PASSED),
        result("B03", Category.BONUS, 0.5, Status.SKIPPED),
    ]
    return SubmissionReport("rendu/", results, **kwargs)


@pytest.mark.parametrize(
    ("value", "text"), [(14.5, "14,5"), (20.0, "20"), (3.25, "3,25"), (0.0, "0"), (12.333, "12,33")]
)
def test_french_number_uses_a_decimal_comma_without_useless_zeros(value, text):
    assert french_number(value) == text


def test_grade_counts_base_points_only_by_default():
    graded = report()
    assert graded.note == 17.0
    assert graded.bonus == 1.0
    assert graded.bonus_max == 1.5
    assert not graded.all_required_passed
    assert [r.spec.id for r in graded.failed()] == ["S02"]


def test_bonus_added_when_the_scale_says_so_and_capped_at_twenty():
    assert report(bonus_counts_in_grade=True).note == 18.0
    assert report(bonus_counts_in_grade=True, bonus_cap=0.5).note == 17.5
    full = SubmissionReport(
        "x",
        [result("S01", Category.SERVER, 20, Status.PASSED), result("B01", Category.BONUS, 0.5, Status.PASSED)],
        bonus_counts_in_grade=True,
    )
    assert full.note == 20.0


def test_grade_is_scaled_to_twenty_when_the_scale_changes_the_total():
    graded = SubmissionReport(
        "x", [result("S01", Category.SERVER, 4, Status.PASSED), result("C01", Category.CLIENT, 4, Status.FAILED)]
    )
    assert graded.note == 10.0


def test_json_schema_and_round_trip():
    original = report(student=Student("12345", "Zoé Lefèvre"), bonus_counts_in_grade=True, bonus_cap=1.0)
    data = original.to_dict()
    assert set(data) >= {"soumission", "note", "note_max", "bonus", "bonus_max", "duree_s", "verifications"}
    assert set(data["verifications"][0]) == {
        "id",
        "titre",
        "categorie",
        "statut",
        "points",
        "points_max",
        "message",
        "duree_s",
    }
    assert data["verifications"][1]["statut"] == "echouee"
    again = SubmissionReport.from_dict(data)
    assert again.to_dict() == data
    assert again.student.name == "Zoé Lefèvre"


def test_internal_error_is_visible():
    graded = report()
    graded.results.append(result("S03", Category.SERVER, 1, Status.ERROR))
    assert graded.has_internal_error
