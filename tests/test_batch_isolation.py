"""Untrusted by default (issue 12, point 3): a class is graded only confined.

A machine without confinement is played with GRADER_CONFINEMENT=non (the launcher off, as the bench
does): a class is refused with the French reason and what to do, `--sans-isolation` goes on with a
warning, one submission with an export is graded with a warning, and a student checking their own work
is neither refused nor warned.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.confinement import DISABLE_VARIABLE, current
from tests.grading import SOLUTION, run_grader

UNCONFINED = {DISABLE_VARIABLE: "non"}
WARNING = "Attention : les programmes des étudiants ne sont pas confinés sur cette machine"


def grader_run(*args: str, env: dict[str, str] = UNCONFINED) -> subprocess.CompletedProcess:
    """The grader on S01 only, on a machine without confinement unless `env` (added variables) says so."""
    return run_grader(*args, "--only", "S01", env=env)


@pytest.fixture(scope="module")
def classe(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("isolation") / "classe"
    for name in ("alice", "bob"):
        shutil.copytree(SOLUTION, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.txt"))
    return root


def test_a_class_is_refused_unconfined_with_the_reason_and_what_to_do(classe, tmp_path):
    done = grader_run(str(classe), "--csv", str(tmp_path / "notes.csv"))
    assert done.returncode == 2, done.stdout + done.stderr
    for words in ("Isolation : NON confinée", "avec vos droits", "WSL2", "conteneur Linux", "--sans-isolation"):
        assert words in done.stderr, words
    assert "Correction de la classe" not in done.stderr and not (tmp_path / "notes.csv").exists()


def test_sans_isolation_grades_the_class_anyway_with_a_warning(classe, tmp_path):
    done = grader_run(str(classe), "--csv", str(tmp_path / "notes.csv"), "--sans-isolation")
    assert done.returncode == 0, done.stdout + done.stderr
    assert WARNING in done.stderr
    assert (tmp_path / "notes.csv").read_text(encoding="utf-8-sig").count(";20;") == 2


def test_one_submission_with_an_export_is_graded_with_a_warning(tmp_path):
    done = grader_run(str(SOLUTION), "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert WARNING in done.stderr and json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["note"] == 20


def test_a_student_checking_their_work_is_neither_refused_nor_warned():
    done = grader_run(str(SOLUTION))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Attention" not in done.stderr


@pytest.mark.skipif(not current().confined, reason="cette machine ne confine pas les programmes des étudiants")
def test_a_confined_class_needs_no_option_and_gets_no_warning(classe, tmp_path):
    done = grader_run(str(classe), "--csv", str(tmp_path / "notes.csv"), env={})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Attention" not in done.stderr and (tmp_path / "notes.csv").exists()
