"""Attacking submissions (issue 12): each attack of `tests/soumissions/attaque_*` fails to have its
effect when the grader runs confined.

Every attacker is graded once, in parallel, by a module fixture, as a teacher would run it: from a copy of
the kit (so that an attack on the installed kit is seen there), with a HOME holding a canary and a
secret, secrets in the environment, and exports requested. Each attacker reads its targets from a
`cibles.json` written next to it (a hostile student knows the layout of the teacher's machine). Then each
test checks the attack's effect is absent: the kit, the HOME, a classmate's folder and every export are
byte-identical, nothing was written outside, no process survives, and the verdict is the grader's own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import site
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import confinement
from grader.harness.process import surviving_processes
from tests.grading import CORPUS, ROOT

ATTACKS = sorted(path.name for path in CORPUS.glob("attaque_*"))
PARALLEL_RUNS = 3
SURVIVOR_PERIOD_S = 0.2  # the survivor calls the witness port this often while it lives...
SURVIVOR_WATCH_S = 5  # ...and is watched for this long after the gradings ended
SECRET = "jeton-secret-de-l-enseignant-8c1f"
GRADING_TIMEOUT_S = 120

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not confinement.current().confined,
        reason=f"ce système ne confine pas les programmes d'élèves : {confinement.current().line()}",
    ),
]


def tree_digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@dataclass
class Attack:
    """One attacker graded: the grader's exit code, output, JSON export, and what the test watched."""

    exit_code: int
    output: str
    report: dict
    seconds: float
    ended: float  # time.monotonic() when the grader had exited

    def message(self) -> str:
        return next(item["message"] for item in self.report["verifications"] if item["id"] == "S01")


@dataclass
class Scene:
    root: Path
    kit: Path
    home: Path
    classmate: Path
    before: dict[str, dict[str, str]]
    attacks: dict[str, Attack]
    survivor_calls: list[float]  # when the survivor called the witness port
    survivors: list[int]


def _targets(root: Path, kit: Path, home: Path, classmate: Path, witness_port: int) -> dict[str, object]:
    return {
        "kit": str(kit),
        "site": site.getsitepackages()[0],
        "home": str(home),
        "camarade": str(classmate),
        "dehors": str(root / "dehors-200mo"),
        "notes": str(root / "notes.csv"),
        "port_temoin": witness_port,
        "periode_s": SURVIVOR_PERIOD_S,
    }


def _grade(kit: Path, folder: Path, out: Path, env: dict[str, str]) -> Attack:
    began = time.monotonic()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            str(folder),
            "--only",
            "S01",
            "--json",
            str(out / "rapport.json"),
            "--html",
            str(out / "rapport.html"),
        ],
        cwd=kit,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=GRADING_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    ended = time.monotonic()
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    return Attack(completed.returncode, completed.stdout + completed.stderr, report, ended - began, ended)


def _watch(witness: socket.socket, calls: list[float], stop: threading.Event) -> None:
    """Note when the survivor calls the witness port (UDP: it sends again and again while it lives)."""
    witness.settimeout(0.1)
    while not stop.is_set():
        try:
            witness.recv(100)
        except OSError:
            continue
        calls.append(time.monotonic())


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    root = tmp_path_factory.mktemp("attaques")
    kit = root / "kit"
    shutil.copytree(ROOT / "grader", kit / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    home = root / "maison"
    home.mkdir()
    (home / "canari.txt").write_text("canari\n", encoding="utf-8")
    (home / "secret.txt").write_text(SECRET, encoding="utf-8")
    classmate = root / "camarade"
    shutil.copytree(CORPUS / "valide_threads", classmate)
    env = {**os.environ, "HOME": str(home), "JETON_API": SECRET, "SSH_AUTH_SOCK": str(home / "agent.sock")}
    env.pop("PYTHONPATH", None)
    before = {"kit": tree_digest(kit), "maison": tree_digest(home), "camarade": tree_digest(classmate)}
    calls: list[float] = []
    stop = threading.Event()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as witness:
        witness.bind(("127.0.0.1", 0))
        watcher = threading.Thread(target=_watch, args=(witness, calls, stop), daemon=True)
        watcher.start()
        targets = _targets(root, kit, home, classmate, witness.getsockname()[1])
        jobs = {}
        for name in ATTACKS:
            folder = root / "copies" / name
            shutil.copytree(CORPUS / name, folder)
            (folder / "cibles.json").write_text(json.dumps(targets), encoding="utf-8")
            out = root / "exports" / name
            out.mkdir(parents=True)
            jobs[name] = (kit, folder, out, env)
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            futures = {name: pool.submit(_grade, *job) for name, job in jobs.items()}
            attacks = {name: future.result() for name, future in futures.items()}
        time.sleep(SURVIVOR_WATCH_S)
        stop.set()
        watcher.join()
    return Scene(root, kit, home, classmate, before, attacks, calls, surviving_processes())


# -- every attacker --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ATTACKS)
def test_the_attacker_gets_the_graders_own_verdict(scene: Scene, name: str) -> None:
    attack = scene.attacks[name]
    assert attack.exit_code == 1, attack.output  # graded and failed: not killed (137), not interrupted (130)
    assert attack.report["note"] == 0 and attack.report["isolation"]["confinee"] is True
    assert [item["statut"] for item in attack.report["verifications"]] == ["echouee"]
    assert "Note : 0 / 20" in attack.output and "Isolation : confinée" in attack.output
    html = (scene.root / "exports" / name / "rapport.html").read_text(encoding="utf-8")
    assert "S01" in html


def test_nothing_outside_changed_and_nothing_survives(scene: Scene) -> None:
    assert tree_digest(scene.kit) == scene.before["kit"]
    assert tree_digest(scene.home) == scene.before["maison"]
    assert tree_digest(scene.classmate) == scene.before["camarade"]
    assert not (Path(site.getsitepackages()[0]) / "attaque.pth").exists()
    assert not (scene.root / "dehors-200mo").exists()
    assert not (scene.root / "notes.csv").exists()
    assert scene.survivors == []


def test_a_process_that_leaves_its_group_dies_with_the_grading(scene: Scene) -> None:
    ended = scene.attacks["attaque_survivant"].ended
    assert scene.survivor_calls, "le survivant n'a jamais appelé : l'attaque n'a pas tourné"
    assert max(scene.survivor_calls) < ended


# -- one attack each -------------------------------------------------------------------------------------
def test_the_graders_command_line_is_out_of_sight(scene: Scene) -> None:
    message = scene.attacks["attaque_note_forgee"].message()
    assert "correcteur : None" in message and "export falsifié" not in message


def test_a_stop_signal_does_not_freeze_the_grader(scene: Scene) -> None:
    attack = scene.attacks["attaque_gel_du_correcteur"]
    assert "gelé" not in attack.message()
    assert attack.seconds < GRADING_TIMEOUT_S / 2


def test_every_write_outside_the_copy_is_refused(scene: Scene) -> None:
    message = scene.attacks["attaque_ecrit_partout"].message()
    assert "refusé" in message and "écrit :" not in message


def test_a_memory_hog_is_told_as_such(scene: Scene) -> None:
    message = scene.attacks["attaque_memoire"].message()
    assert "mémoire permise" in message and "boucle sans fin" not in message


def test_the_teachers_secrets_never_reach_the_student(scene: Scene) -> None:
    attack = scene.attacks["attaque_secrets"]
    shown = attack.output + json.dumps(attack.report, ensure_ascii=False)
    assert SECRET not in shown and "agent.sock" not in shown
    assert "refusé" in attack.message()


def test_the_teachers_terminal_is_out_of_reach(scene: Scene) -> None:
    attack = scene.attacks["attaque_terminal"]
    assert "FAUSSE NOTE" not in attack.output and "\x1b" not in attack.output
    assert "écrit :" not in attack.message()
