"""The kit cannot be changed by what it grades (issue 12, point 4).

A grading that changes the grader's files gets no export; a `.pyc` dropped in the kit is never read by
the processes that grade; a `grader` package planted in the teacher's working folder is never run by
the documented command nor by the batch workers. The end-to-end cases run a copy of the kit, so that
the real one is never touched.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from importlib._bootstrap_external import _code_to_timestamp_pyc  # type: ignore[attr-defined]
from pathlib import Path

import pytest

from grader.batch import kit
from grader.batch import worker as worker_module
from grader.batch.discovery import BatchItem
from grader.batch.runner import run_batch
from grader.commandline import ExitCode
from grader.model import Student
from tests.batch_scripts import ONLY_S01_S03, SEND, batch_options, honest, sent
from tests.grading import ROOT, STARTERS

ONLY = "S02"  # the starter files pass S01 (1 point) and fail S02 (1 point): 10 / 20
HONEST_GRADE = 10


def copy_kit(target: Path) -> Path:
    """A copy of the kit's grader package (without bytecode) in `target`; returns `target`."""
    shutil.copytree(ROOT / "grader", target / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def starters_class(root: Path) -> Path:
    for name in ("alice", "bob"):
        shutil.copytree(STARTERS, root / "classe" / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root / "classe"


def assert_honest_grades(grading: list[str], report: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
    """`grading` (a command that names a class of starters) graded on ONLY: each starter has its honest grade."""
    command = [*grading, "--only", ONLY, "--json", str(report), "-q", "--sans-isolation"]
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 1, done.stdout + done.stderr
    grades = [submission["note"] for submission in json.loads(report.read_text(encoding="utf-8"))["soumissions"]]
    assert grades == [HONEST_GRADE, HONEST_GRADE]


# -- the seal ----------------------------------------------------------------------------------------


@pytest.fixture
def sealed_copy(tmp_path, monkeypatch):
    """KIT_DIR pointed at a copy of the kit, and one site folder of our own."""
    copy = copy_kit(tmp_path / "kit") / "grader"
    site_dir = tmp_path / "site-packages"
    site_dir.mkdir()
    monkeypatch.setattr(kit, "KIT_DIR", copy)
    monkeypatch.setattr(kit, "_site_dirs", lambda: [site_dir])
    return copy, site_dir


@pytest.mark.parametrize("change", ["module ajouté", "module modifié", "module supprimé", ".pth ajouté"])
def test_the_seal_sees_every_change_of_the_kit(sealed_copy, change):
    copy, site_dir = sealed_copy
    seal = kit.KitSeal.take()
    assert seal.changes() == []
    target = {
        "module ajouté": copy / "checks" / "triche.py",
        "module modifié": copy / "model.py",
        "module supprimé": copy / "scale.py",
        ".pth ajouté": site_dir / "triche.pth",
    }[change]
    if change == "module supprimé":
        target.unlink()
    else:
        target.write_text("import os  # triche\n", encoding="utf-8")
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"python writes these itself")
    assert len(seal.changes()) == 1
    with pytest.raises(kit.KitChanged, match="aucun export n'a été écrit"):
        seal.check()


def test_a_batch_that_changed_the_kit_exports_nothing(sealed_copy, monkeypatch, tmp_path, capsys):
    copy, _ = sealed_copy
    tamper = f"open({str(copy / 'checks' / 'triche.py')!r}, 'w').write('x'); " + SEND
    monkeypatch.setattr(
        worker_module, "worker_command", lambda item, options: [sys.executable, "-c", tamper, *sent(honest())[1:]]
    )
    item = BatchItem(source="classe/mallory", student=Student("mallory"), path=tmp_path / "mallory")
    options = batch_options(grading=ONLY_S01_S03, csv=tmp_path / "notes.csv")
    assert run_batch([item], options) == ExitCode.INTERNAL
    assert "grader/checks/triche.py" in capsys.readouterr().err
    assert not (tmp_path / "notes.csv").exists()


# -- end to end, on a copy of the kit -----------------------------------------------------------------

FORGERY = """
    for result in report.results:  # a forged child.pyc: every check passed
        result.status = Status.PASSED
        result.points = result.points_max
"""


def plant_forged_child_pyc(kit_root: Path) -> None:
    """A .pyc for grader/batch/child.py that Python takes for the source's (same mtime and size)."""
    source = kit_root / "grader" / "batch" / "child.py"
    text = source.read_text(encoding="utf-8")
    forged = text.replace(
        "        return EXIT_INTERNAL\n    channel.write(",
        "        return EXIT_INTERNAL\n" + FORGERY + "    channel.write(",
    )
    forged = forged.replace(
        "    from grader.scale import load_scale\n",
        "    from grader.scale import load_scale\n    from grader.model import Status\n",
    )
    assert "Status.PASSED" in forged
    info = source.stat()
    code = compile(forged, str(source), "exec")
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.parent.mkdir(exist_ok=True)
    cached.write_bytes(_code_to_timestamp_pyc(code, int(info.st_mtime), info.st_size))


def test_a_pyc_dropped_in_the_kit_does_not_change_a_grade(tmp_path):
    kit_root = copy_kit(tmp_path / "kit")
    plant_forged_child_pyc(kit_root)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from grader.batch import child; "
        "print(child.main.__code__.co_names)"
    )
    loaded = subprocess.run([sys.executable, "-c", probe, str(kit_root)], capture_output=True, text=True, check=True)
    assert "'PASSED'" in loaded.stdout, "the forged .pyc is what a plain import loads"
    relative = os.path.relpath(starters_class(tmp_path), kit_root)  # as a teacher types it, from where they are
    assert_honest_grades([sys.executable, "-m", "grader", relative], tmp_path / "r.json", cwd=kit_root)


def test_a_grader_package_planted_in_the_working_folder_is_never_run(tmp_path):
    planted = tmp_path / "travail" / "grader"
    planted.mkdir(parents=True)
    marker = tmp_path / "planted-ran"
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('x')\n", encoding="utf-8")
    (planted / "__main__.py").write_text("print('Note : 20 / 20')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the kit, as if installed
    subprocess.run([sys.executable, "-m", "grader"], cwd=planted.parent, env=env, capture_output=True, timeout=60)
    assert marker.exists(), "python -m grader runs what the working folder holds: the reason for correcteur-chat"
    marker.unlink()
    script = tmp_path / "bin" / "correcteur-chat"  # what `pip install` makes of [project.scripts]
    script.parent.mkdir()
    script.write_text("import sys\nfrom grader.cli import main\nsys.exit(main())\n", encoding="utf-8")
    classe = starters_class(tmp_path)
    assert_honest_grades([sys.executable, str(script), str(classe)], tmp_path / "r.json", cwd=planted.parent, env=env)
    assert not marker.exists(), "the planted package ran"
