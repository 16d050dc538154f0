"""The Gradescope autograder zip, built by `python -m grader.gradescope construire` and its
`run_autograder` run here in a temporary `/autograder`-like tree (AUTOGRADER_ROOT), as root, with the
student's programs as the unprivileged user `nobody`: the reference, a buggy submission, an attacking
one, and a grader that crashes. Skipped with the reason where the machine cannot do it (not root, no
setpriv, no `nobody`, no /usr/bin/python3 for the student user).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.gradescope import build
from grader.gradescope.cli import main as gradescope_main
from tests.grading import CORPUS, SOLUTION
from tests.programs import STUDENT, STUDENT_PYTHON, cannot_become_student

CANNOT_RUN = cannot_become_student()
needs_root = pytest.mark.skipif(CANNOT_RUN is not None, reason=f"run_autograder non exécutable ici : {CANNOT_RUN}")

# Each attack must fail; if one succeeds, or the program is not the student user, it exits at once (the
# server never listens: 0/20). Only the honest grade of a working server without a client (13) proves both.
# The paths are written into the program: its environment is the confinement's minimal one.
ATTACK = """
import os, signal, sys
def refused(action):
    try:
        action()
    except OSError:
        return True
    return False
attacks = [
    lambda: open({base!r} + "/results/results.json", "w").write('{{"score": 20, "output": "FORGE"}}'),
    lambda: open({base!r} + "/source/kit/grader/__init__.py", "a").write("# FORGE"),
    lambda: os.listdir({base!r} + "/submission"),
    lambda: os.kill(os.getppid(), signal.SIGKILL),
]
if os.getuid() != {uid} or not all(refused(attack) for attack in attacks):
    sys.exit(1)
"""


def autograder_tree(tmp_path: Path, submission: dict[str, str], **build_options) -> Path:
    """The tree Gradescope makes, in a folder the student user can cross (tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="autograder-"))
    base.chmod(0o755)
    _trees.append(base)
    (base / "source").mkdir(parents=True)
    (base / "submission").mkdir()
    archive = tmp_path / "autograder.zip"
    build.build(archive, **build_options)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(base / "source")
    for name in build.ENTRY_POINTS:  # zipfile does not restore modes; Gradescope's unzip does
        (base / "source" / name).chmod(0o755)
    subprocess.run(["chmod", "-R", "go-w,a+rX", str(base / "source")], check=True)  # as setup.sh does
    for name, text in submission.items():
        (base / "submission" / name).write_text(text, encoding="utf-8")
    return base


def run_autograder(base: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "AUTOGRADER_ROOT": str(base),
        "GRADER_PYTHON": sys.executable,
        "GRADER_UTILISATEUR": STUDENT,
        "GRADER_PYTHON_ETUDIANT": STUDENT_PYTHON,
        **env,
    }
    return subprocess.run(
        ["bash", str(base / "source" / "run_autograder")],
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def results(base: Path) -> dict:
    return json.loads((base / "results" / "results.json").read_text(encoding="utf-8"))


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def programs(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in folder.glob("*_exo.py")}


_trees: list[Path] = []


@pytest.fixture(autouse=True)
def _remove_trees():
    yield
    while _trees:
        shutil.rmtree(_trees.pop(), ignore_errors=True)


def test_the_zip_holds_the_entry_points_and_the_kit_without_solution_or_tests(tmp_path):
    scale = tmp_path / "bareme.toml"
    scale.write_text('[visibilite]\nS11 = "after_due_date"\nB06 = "hidden"\n', encoding="utf-8")
    assert gradescope_main(["construire", str(tmp_path / "ag.zip"), "--bareme", str(scale), "--classement"]) == 0
    with zipfile.ZipFile(tmp_path / "ag.zip") as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", "lancer_etudiant.sh", "bareme.toml", "classement"} <= names
    assert all(modes[name] & stat.S_IXUSR for name in build.ENTRY_POINTS)
    assert {"kit/pyproject.toml", "kit/grader/__main__.py", "kit/grader/checks/pytest.ini"} <= names
    assert not any(name.startswith(("kit/solution", "kit/tests", "kit/exercice")) for name in names)
    assert "|| true" not in (build.TEMPLATES / "run_autograder").read_text(encoding="utf-8")


def test_a_wrong_scale_is_refused_before_the_zip_is_written(tmp_path, capsys):
    scale = tmp_path / "bareme.toml"
    scale.write_text('[visibilite]\nS11 = "plus_tard"\n', encoding="utf-8")
    assert gradescope_main(["construire", str(tmp_path / "ag.zip"), "--bareme", str(scale)]) == 2
    assert "after_due_date" in capsys.readouterr().err and not (tmp_path / "ag.zip").exists()


@needs_root
def test_a_grader_crash_gives_no_grade_and_fails_the_run(tmp_path):
    base = autograder_tree(tmp_path, programs(SOLUTION))
    done = run_autograder(base, GRADER_PYTHON="/bin/false")
    assert done.returncode == 3 and not (base / "results" / "results.json").exists()
    assert "n'a pas pu noter cette soumission" in done.stdout


@needs_root
@pytest.mark.slow
def test_reference_gets_20_with_markdown_visibility_and_leaderboard(tmp_path):
    scale = tmp_path / "bareme.toml"
    scale.write_text('[visibilite]\nS11 = "after_due_date"\nB06 = "hidden"\n', encoding="utf-8")
    base = autograder_tree(tmp_path, programs(SOLUTION), scale=scale, leaderboard=True)
    done = run_autograder(base)
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(base)
    assert data["score"] == 20 and data["output_format"] == "md"
    visibility = {test["number"]: test["visibility"] for test in data["tests"]}
    assert (visibility["S11"], visibility["B06"], visibility["S01"]) == ("after_due_date", "hidden", "visible")
    assert [entry["name"] for entry in data["leaderboard"]] == ["Débit (lignes/s)", "Latence p99 (ms)", "Pertes (%)"]
    assert data["leaderboard"][0]["value"] > 0 and data["leaderboard"][2]["value"] == 0


@needs_root
@pytest.mark.slow
def test_buggy_submission_gets_its_grade_and_the_french_message(tmp_path):
    base = autograder_tree(
        tmp_path,
        {
            **programs(CORPUS / "sans_prefixe"),
            "client_exo.py": (SOLUTION / "client_exo.py").read_text(encoding="utf-8"),
        },
    )
    done = run_autograder(base)
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(base)
    s03 = next(test for test in data["tests"] if test["number"] == "S03")
    assert s03["status"] == "failed" and "```text" in s03["output"] and data["score"] < 20


@needs_root
@pytest.mark.slow
def test_an_attacking_submission_runs_unprivileged_and_changes_nothing(tmp_path):
    import pwd  # POSIX only (needs_root skips this test elsewhere): the module must import on Windows

    base = autograder_tree(tmp_path, {})
    attack = ATTACK.format(base=str(base), uid=pwd.getpwnam(STUDENT).pw_uid)
    (base / "submission" / "serveur_exo.py").write_text(
        attack + (SOLUTION / "serveur_exo.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    kit_before = tree_hash(base / "source")
    done = run_autograder(base)
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(base)
    assert data["score"] == 13 and "FORGE" not in json.dumps(data)  # the honest grade: a server, no client
    assert tree_hash(base / "source") == kit_before
    assert (base / "results" / "results.json").stat().st_uid == 0
