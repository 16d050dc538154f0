"""`python -m grader distribuer DOSSIER`: what the students receive, installed as they would install it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.handout import README, write_handout
from tests.grading import GRADING_TIMEOUT_S, ROOT

DEBIAN_PYTHON = Path("/usr/bin/python3")  # Debian 12 / Ubuntu 24.04: externally managed (PEP 668)


def test_the_folder_holds_statement_protocol_starters_and_grader_only(tmp_path):
    files = write_handout(tmp_path / "etudiants")
    assert {
        "enonce.md",
        "protocole.md",
        "exercice/serveur_exo.py",
        "exercice/client_exo.py",
        README,
        "correcteur/pyproject.toml",
        "correcteur/grader/__main__.py",
        "correcteur/grader/checks/pytest.ini",
    } <= set(files)
    assert not any(
        part in {"solution", "tests", "soumissions", "bench", "scripts"} for f in files for part in Path(f).parts
    )
    assert not any(name.endswith(("guide-enseignant.md", ".pyc")) for name in files)
    starters = {path.name: path.read_bytes() for path in (ROOT / "exercice").glob("*.py")}
    assert {name: (tmp_path / "etudiants" / "exercice" / name).read_bytes() for name in starters} == starters
    readme = (tmp_path / "etudiants" / README).read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in readme and "python -m grader exercice/" in readme


def _distribute(folder: Path) -> subprocess.CompletedProcess:
    """`python -m grader distribuer FOLDER`, as a teacher types it (run_grader adds a grading option)."""
    return subprocess.run(
        [sys.executable, "-m", "grader", "distribuer", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=GRADING_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def test_the_command_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "deja.txt").write_text("x", encoding="utf-8")
    done = _distribute(tmp_path)
    assert done.returncode == 2 and "n'est pas vide" in done.stderr
    done = _distribute(tmp_path / "nouveau")
    assert done.returncode == 0 and (tmp_path / "nouveau" / README).is_file()


@pytest.mark.slow
def test_students_install_it_in_a_fresh_virtual_environment_and_check_their_work(tmp_path):
    """As the README says, with Debian's own Python when there is one (pip outside a venv is refused)."""
    folder = tmp_path / "etudiants"
    write_handout(folder)
    python = str(DEBIAN_PYTHON) if DEBIAN_PYTHON.is_file() else sys.executable
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    steps = [
        [python, "-m", "venv", ".venv"],
        [".venv/bin/python", "-m", "pip", "install", "--quiet", "./correcteur"],
        [".venv/bin/python", "-m", "grader", "exercice/", "--only", "S01"],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{step}: {done.stdout}{done.stderr}"
    assert "Note : 20 / 20" in done.stdout  # the starters pass S01, graded by the installed grader
