"""Issue 12, end to end: a class of attacking submissions graded in one batch with valid ones.

Every attacker of tests/attaques/ and the process-level attackers of the confinement
(tests/soumissions/attaque_*, each told its targets by a `cibles.json`: the kit, HOME, a classmate's
folder, the class's notes.csv, a witness port its survivor calls while it lives) is graded in the
same batch as valid submissions, a zip bomb, a folder named like a spreadsheet formula and one whose name
holds escape sequences. The batch runs from a copy of the kit, with HOME pointed at a folder holding a
canary file. Then: every attacker has 0, every valid submission 20/20; the class folder, the kit, the
canary and every export are byte-identical before and after (the exports a while after the grader has
exited, when a survivor would strike); no process of the batch is left; every export is complete and
nothing raw reached the terminal.

The attackers have the teacher's rights unless the machine confines them: the test runs only where
`grader.confinement` says the student programs are confined, and is skipped with the reason elsewhere.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import site
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from tests.batch_scripts import every_class_export
from tests.grading import CORPUS, ROOT, SOLUTION
from tests.html_check import HtmlChecker
from tests.witness import Witness

ATTACKS = ROOT / "tests" / "attaques"
MARK = "@@MARQUE@@"
ONLY = "S01,S02,C01"  # enough for a valid submission to show 20/20, quick for the class
FORMULA_NAMES = ("=1+19", "@SOMME(A1)")
ESCAPE_NAME = "echappement\x1b[2J\x1b]0;note 20\x07\x1b[1A"
SURVIVOR_WAIT_S = 3.0  # a survivor strikes as soon as the grader has exited: give it time to try
BATCH_LIMIT_S = 300

pytestmark = pytest.mark.slow


def confinement_or_skip() -> None:
    confinement = pytest.importorskip("grader.confinement", reason="pas de module de confinement dans ce kit")
    state = confinement.current()
    if not state.confined:
        pytest.skip(f"les programmes des étudiants ne seraient pas confinés sur cette machine ({state.line()})")


def fingerprint(root: Path) -> dict[str, str]:
    """Every file under root (bytecode caches aside) -> its SHA-256."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _programs(target: Path) -> Path:
    target.mkdir(parents=True)
    for program in ("serveur_exo.py", "client_exo.py"):
        shutil.copyfile(SOLUTION / program, target / program)
    return target


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("serveur_exo.py", (SOLUTION / "serveur_exo.py").read_bytes())
        for number in range(40):
            archive.writestr(f"zeros{number}.bin", bytes(64 * 2**20))


def build_class(root: Path, mark: str, targets: dict[str, object]) -> tuple[Path, set[str], set[str]]:
    """(class folder, identifiers of the valid submissions, identifiers of the attackers)."""
    classe = root / "classe"
    valid = {"alice", "bob", *FORMULA_NAMES, ESCAPE_NAME}
    for name in valid - {"bob"}:
        _programs(classe / name)
    shutil.make_archive(str(root / "bob"), "zip", _programs(root / "bob-src" / "chat").parent)
    shutil.move(root / "bob.zip", classe / "bob.zip")
    _bomb(classe / "bombe.zip")
    attackers = {"bombe"}
    for attack in sorted(path for path in ATTACKS.iterdir() if path.is_dir()):
        target = classe / attack.name
        target.mkdir()
        for source in attack.glob("*.py"):
            (target / source.name).write_text(source.read_text(encoding="utf-8").replace(MARK, mark), encoding="utf-8")
        attackers.add(attack.name)
    for attack in sorted(CORPUS.glob("attaque_*")):
        shutil.copytree(attack, classe / attack.name)
        (classe / attack.name / "cibles.json").write_text(json.dumps(targets), encoding="utf-8")
        attackers.add(attack.name)
    return classe, valid, attackers


def marked_processes(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def stray_pth(mark: str) -> list[Path]:
    """The .pth files the attackers would have dropped in site-packages."""
    return [
        path
        for folder in site.getsitepackages()
        for name in ("triche.pth", "attaque.pth")
        for path in Path(folder).glob(name)
        if mark in path.read_text(errors="replace") or name == "attaque.pth"
    ]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The batch graded once: everything the tests below look at."""
    confinement_or_skip()
    root = tmp_path_factory.mktemp("attaques")
    mark = f"attaque-{uuid.uuid4().hex}"
    kit_copy = root / "kit"
    shutil.copytree(ROOT / "grader", kit_copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    home = root / "home"
    home.mkdir()
    (home / "canari.txt").write_text("le fichier témoin de l'enseignant\n", encoding="utf-8")
    out = root / "exports"
    witness = Witness()
    try:
        targets = {
            "kit": str(kit_copy),
            "site": site.getsitepackages()[0],
            "home": str(home),
            "camarade": str(root / "classe" / "alice"),
            "dehors": str(root / "dehors-200mo"),
            "notes": str(out / "notes.csv"),
            "port_temoin": witness.port,
            "periode_s": 0.2,
        }
        classe, valid, attackers = build_class(root, mark, targets)
        before = {"classe": fingerprint(classe), "kit": fingerprint(kit_copy), "home": fingerprint(home)}
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader",
                str(classe),
                "--only",
                ONLY,
                "--jobs",
                "2",
                *every_class_export(out),
            ],
            cwd=kit_copy,
            env={**os.environ, "HOME": str(home)},
            capture_output=True,
            timeout=BATCH_LIMIT_S,
            stdin=subprocess.DEVNULL,
        )
        ended = time.monotonic()
        exported = fingerprint(out)
        time.sleep(SURVIVOR_WAIT_S)
    finally:
        witness.close()
    survivors = marked_processes(mark)
    pth = stray_pth(mark)
    for pid in survivors:  # never leave them to the other tests
        os.kill(pid, 9)
    for path in pth:
        path.unlink()
    after = {"classe": fingerprint(classe), "kit": fingerprint(kit_copy), "home": fingerprint(home)}
    return dict(
        done=done,
        elapsed=ended - started,
        out=out,
        valid=valid,
        attackers=attackers,
        before=before,
        after=after,
        exported=exported,
        exported_later=fingerprint(out),
        survivors=survivors,
        pth=pth,
        late_calls=witness.calls_after(ended),
        outside=(root / "dehors-200mo").exists(),
    )


def submissions(batch) -> dict[str, dict]:
    reports = json.loads((batch["out"] / "classe.json").read_text(encoding="utf-8"))["soumissions"]
    return {report["etudiant"]["identifiant"]: report for report in reports}


def test_attackers_get_zero_and_valid_submissions_keep_20(batch):
    output = (batch["done"].stdout + batch["done"].stderr).decode("utf-8", "replace")
    assert batch["done"].returncode == 1, output
    graded = submissions(batch)
    assert set(graded) == batch["valid"] | batch["attackers"], output
    assert {name: graded[name]["note"] for name in batch["valid"]} == dict.fromkeys(batch["valid"], 20), output
    assert {name: graded[name]["note"] for name in batch["attackers"]} == dict.fromkeys(batch["attackers"], 0)
    assert "n'a pas été extraite" in graded["bombe"]["erreur"]


def test_nothing_outside_the_copies_changed(batch):
    for what in ("classe", "kit", "home"):
        assert batch["after"][what] == batch["before"][what], what
    assert batch["pth"] == [], "un .pth a été écrit dans site-packages"
    assert not batch["outside"]


def test_no_process_of_the_batch_is_left_and_the_exports_stay_as_written(batch):
    assert batch["survivors"] == [] and batch["late_calls"] == []
    assert batch["exported_later"] == batch["exported"]


def test_every_export_is_complete_and_harmless(batch):
    count = len(batch["valid"] | batch["attackers"])
    raw = (batch["out"] / "notes.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw, newline=""), delimiter=";"))
    assert len(rows) == count
    assert {"'" + name for name in FORMULA_NAMES} <= {row["Identifiant"] for row in rows}
    assert not [cell for row in rows for cell in row.values() if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert len(ET.parse(batch["out"] / "junit.xml").getroot().findall("testsuite")) == count
    checker = HtmlChecker()
    checker.feed((batch["out"] / "classe.html").read_text(encoding="utf-8"))
    checker.close()
    assert checker.problems == []


def test_nothing_raw_reached_the_terminal(batch):
    printed = batch["done"].stdout + batch["done"].stderr
    for raw in (b"\x1b", b"\x07", "\x9b".encode()):
        assert raw not in printed, raw
