"""The grading scale file (--bareme): points per check, bonus in the grade and its cap, French errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.catalogue import load_catalogue
from grader.model import Category, CheckResult, CheckSpec, Status, SubmissionReport
from grader.scale import ScaleError, default_scale, load_scale

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = {
    "S01": CheckSpec("S01", "Le serveur démarre", 1, Category.SERVER),
    "S03": CheckSpec("S03", "Messages préfixés par le nom", 2, Category.SERVER),
    "C01": CheckSpec("C01", "Le client demande le nom", 1, Category.CLIENT),
    "B01": CheckSpec("B01", "Commande /liste", 0.5, Category.BONUS),
}


def scale_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bareme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_scale_is_the_catalogue():
    scale = default_scale(CATALOGUE)
    assert scale.points == {"S01": 1, "S03": 2, "C01": 1, "B01": 0.5}
    assert (scale.bonus_in_grade, scale.bonus_cap) == (False, None)


def test_points_override_and_bonus_settings(tmp_path):
    path = scale_file(tmp_path, "[points]\nS03 = 4\nB01 = 1.5\n\n[bonus]\ndans_la_note = true\nplafond = 1\n")
    scale = load_scale(path, CATALOGUE)
    assert scale.points == {"S01": 1.0, "S03": 4.0, "C01": 1.0, "B01": 1.5}
    assert (scale.bonus_in_grade, scale.bonus_cap) == (True, 1.0)


def test_empty_file_is_the_default_scale(tmp_path):
    assert load_scale(scale_file(tmp_path, "# rien\n"), CATALOGUE) == default_scale(CATALOGUE)


def test_the_scale_drives_the_grade_and_the_cap(tmp_path):
    scale = load_scale(
        scale_file(tmp_path, "[points]\nS03 = 6\n[bonus]\ndans_la_note = true\nplafond = 0.25\n"), CATALOGUE
    )
    results = [
        CheckResult(CATALOGUE[i], status, scale.points[i] if status is Status.PASSED else 0, scale.points[i])
        for i, status in (
            ("S01", Status.PASSED),
            ("S03", Status.FAILED),
            ("C01", Status.PASSED),
            ("B01", Status.PASSED),
        )
    ]
    report = SubmissionReport("x", results, bonus_counts_in_grade=scale.bonus_in_grade, bonus_cap=scale.bonus_cap)
    assert report.note == round(2 * 20 / 8 + 0.25, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[points]\nS99 = 1\n", "identifiant de vérification inconnu « S99 »"),
        ('[points]\nS01 = "deux"\n', "points de S01 : un nombre est attendu"),
        ("[points]\nS01 = true\n", "points de S01 : un nombre est attendu"),
        ("[points]\nS01 = -1\n", "un nombre positif ou nul est attendu"),
        ("[points]\nS01 = nan\n", "un nombre positif ou nul est attendu"),
        ("[points\nS01 = 1\n", "syntaxe TOML incorrecte"),
        ("S01 = 1\n", "section ou clé inconnue « S01 »"),
        ("points = 3\n", "« points » doit être une section [points]"),
        ('[bonus]\ndans_la_note = "oui"\n', "dans_la_note doit valoir true ou false"),
        ("[bonus]\nplafond = 2\n", "plafond n'a de sens qu'avec dans_la_note = true"),
        ("[bonus]\ndans_la_note = true\nplafond = -2\n", "[bonus] plafond : un nombre positif ou nul"),
        ("[bonus]\nmaximum = 2\n", "clé inconnue « maximum » dans [bonus]"),
        ("[points]\nS01 = 0\nS03 = 0\nC01 = 0\n", "la somme des points hors bonus est nulle"),
    ],
)
def test_malformed_scale_gives_a_french_error_naming_the_file(tmp_path, text, expected):
    path = scale_file(tmp_path, text)
    with pytest.raises(ScaleError) as error:
        load_scale(path, CATALOGUE)
    assert expected in str(error.value)
    assert str(path) in str(error.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(ScaleError, match="Fichier de barème introuvable"):
        load_scale(tmp_path / "absent.toml", CATALOGUE)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes("# barème\n[points]\nS01 = 1\n".encode("latin-1"))
    with pytest.raises(ScaleError, match="pas en UTF-8"):
        load_scale(latin1, CATALOGUE)


def test_documented_example_matches_the_real_catalogue():
    catalogue = load_catalogue()
    scale = load_scale(ROOT / "docs" / "bareme-exemple.toml", catalogue)
    assert scale.points["S03"] == 3 and scale.points["S10"] == 0
    assert (scale.bonus_in_grade, scale.bonus_cap) == (True, 2)
    assert set(scale.points) == set(catalogue)


def test_visibility_section_read_and_checked(tmp_path):
    path = tmp_path / "bareme.toml"
    path.write_text('[visibilite]\nS11 = "after_due_date"\nB06 = "hidden"\n', encoding="utf-8")
    assert load_scale(path, load_catalogue()).visibility == {"S11": "after_due_date", "B06": "hidden"}
    path.write_text('[visibilite]\nS11 = "demain"\n', encoding="utf-8")
    with pytest.raises(ScaleError, match="after_due_date"):
        load_scale(path, load_catalogue())
    path.write_text('[visibilite]\nZ99 = "hidden"\n', encoding="utf-8")
    with pytest.raises(ScaleError, match="Z99"):
        load_scale(path, load_catalogue())
