"""The catalogue of checks: what a teacher adds is run as the guide says, or refused with a clear error."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from grader.catalogue import CatalogueError, specs_of
from grader.checks import verification
from tests.grading import CORPUS, GRADING_TIMEOUT_S, ROOT, SOLUTION

GUIDE = ROOT / "docs" / "guide-enseignant.md"
GUIDE_SECTION = "## 11. Ajouter une vérification"
WITHOUT_WELCOME = CORPUS / "valide_threads"  # a correct server that greets nobody


def _module_with(function_name: str) -> ModuleType:
    module = ModuleType("grader.checks.maison")

    def check(room: object) -> None:
        """Declared like a check."""

    check.__name__ = function_name
    setattr(module, function_name, verification("S12", "Message de bienvenue", points=1)(check))
    return module


def test_a_check_pytest_would_not_run_is_refused() -> None:
    with pytest.raises(CatalogueError, match=r"maison\.bienvenue : la vérification S12 ne serait jamais lancée"):
        specs_of(_module_with("bienvenue"))
    assert [spec.id for spec in specs_of(_module_with("test_bienvenue"))] == ["S12"]


def _guide_example() -> str:
    section = GUIDE.read_text(encoding="utf-8").split(GUIDE_SECTION, 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, f"pas d'exemple Python dans « {GUIDE_SECTION} »"
    return found[1]


@pytest.fixture(scope="module")
def grader_with_the_guide_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the grader with the guide's example as grader/checks/maison.py, as a teacher would add it."""
    copy = tmp_path_factory.mktemp("kit")
    shutil.copytree(ROOT / "grader", copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "grader" / "checks" / "maison.py").write_text(_guide_example(), encoding="utf-8")
    return copy


def _grade_s12(kit: Path, submission: Path, tmp_path: Path) -> dict[str, dict]:
    report = tmp_path / "rapport.json"
    done = subprocess.run(
        [sys.executable, "-m", "grader", str(submission), "--only", "S12", "--json", str(report)],
        cwd=kit,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=GRADING_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert report.exists(), done.stdout + done.stderr
    return {item["id"]: item for item in json.loads(report.read_text(encoding="utf-8"))["verifications"]}


def test_the_guide_example_check_passes_on_the_reference(grader_with_the_guide_example: Path, tmp_path: Path) -> None:
    checks = _grade_s12(grader_with_the_guide_example, SOLUTION, tmp_path)
    assert {check: item["statut"] for check, item in checks.items()} == {"S01": "reussie", "S12": "reussie"}


def test_the_guide_example_check_explains_a_missing_welcome(
    grader_with_the_guide_example: Path, tmp_path: Path
) -> None:
    s12 = _grade_s12(grader_with_the_guide_example, WITHOUT_WELCOME, tmp_path)["S12"]
    assert s12["statut"] == "echouee"
    assert "aucun message de bienvenue" in s12["message"]
