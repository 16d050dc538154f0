"""The command line: usage errors in French with exit code 2, the catalogue, the report's last lines."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from grader.catalogue import load_catalogue
from grader.harness.process import surviving_processes
from grader.harness.waiting import wait_probing
from tests.grading import ROOT, SOLUTION, grade, run_grader

# Reads each line and sleeps before doing anything with it: a grading that lasts, programs running.
SLOW_SERVER = """
import os, socket, threading, time
def servir(sock, adresse):
    while sock.recv(100):
        time.sleep(5)
with socket.create_server(("127.0.0.1", int(os.environ["CHAT_PORT"]))) as serveur:
    while True:
        threading.Thread(target=servir, args=serveur.accept(), daemon=True).start()
"""


def test_without_a_path_the_user_is_told_what_to_type():
    done = run_grader()
    assert done.returncode == 2
    assert "indiquez le dossier à corriger" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_path_is_a_usage_error(tmp_path):
    done = run_grader(str(tmp_path / "nulle_part"))
    assert done.returncode == 2
    assert "n'existe pas" in done.stderr


def test_a_folder_without_the_exercise_files_is_a_usage_error(tmp_path):
    (tmp_path / "notes.txt").write_text("rien à voir", encoding="utf-8")
    done = run_grader(str(tmp_path))
    assert done.returncode == 2
    assert "serveur_exo.py" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_check_id_is_a_usage_error():
    done = run_grader(str(SOLUTION), "--only", "S03,Z99")
    assert done.returncode == 2
    assert "Z99" in done.stderr


def test_a_bad_option_is_explained_in_french():
    done = run_grader("--nimporte-quoi")
    assert done.returncode == 2
    assert "arguments invalides" in done.stderr


def test_the_catalogue_lists_every_check():
    done = run_grader("--liste")
    assert done.returncode == 0
    for check_id in load_catalogue():
        assert check_id in done.stdout


def test_catalogue_points_make_twenty_and_bonuses_are_half_points():
    catalogue = load_catalogue()
    base = [spec for spec in catalogue.values() if spec.category.value != "bonus"]
    bonus = [spec for spec in catalogue.values() if spec.category.value == "bonus"]
    assert sum(spec.points for spec in base) == 20
    assert sum(spec.points for spec in catalogue.values() if spec.id.startswith("S")) == 13
    assert [spec.points for spec in bonus] == [0.5] * 7
    for spec in catalogue.values():
        assert all(required in catalogue for required in spec.requires)
        assert list(catalogue).index(spec.id) > max((list(catalogue).index(r) for r in spec.requires), default=-1)


def test_only_runs_the_requested_checks_and_their_prerequisites():
    result = grade(SOLUTION, "--only", "S03")
    assert set(result.statuses()) == {"S01", "S03"}
    assert result.exit_code == 0


@pytest.mark.parametrize("variable", ["NO_COLOR", "TERM"])
def test_report_is_plain_text_without_a_terminal(variable, monkeypatch):
    monkeypatch.setenv(variable, "1" if variable == "NO_COLOR" else "dumb")
    done = run_grader(str(SOLUTION), "--only", "S01")
    assert "\x1b[" not in done.stdout
    assert done.stdout.rstrip().splitlines()[-2:] == [
        "Note : 20 / 20",
        "Note partielle : seulement S01 et leurs prérequis, pas la note de la soumission (--only).",
    ]


def test_single_json_is_the_submission_object_in_a_new_folder(tmp_path):
    out = tmp_path / "nouveau" / "rapport.json"
    done = run_grader(str(SOLUTION), "--only", "S01", "--json", str(out))
    assert done.returncode == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["soumission"] == str(SOLUTION)
    assert [item["id"] for item in data["verifications"]] == ["S01"]
    assert (data["note_partielle"], data["seulement"]) == (True, ["S01"])


def test_only_files_for_the_teacher_say_the_grade_is_partial(tmp_path):
    done = run_grader(
        str(SOLUTION),
        "--only",
        "S01",
        "--csv",
        str(tmp_path / "notes.csv"),
        "--junit",
        str(tmp_path / "junit.xml"),
        "--html",
        str(tmp_path / "rapport.html"),
    )
    assert done.returncode == 0, done.stderr
    partial = "Note partielle : seulement S01 et leurs prérequis"
    assert partial in (tmp_path / "notes.csv").read_text(encoding="utf-8-sig")
    assert partial in (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert 'name="note_partielle"' in (tmp_path / "junit.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("option", ["--gradescope", "--classroom", "--feuille-moodle"])
def test_only_refuses_the_exports_a_gradebook_takes_as_they_are(tmp_path, option):
    done = run_grader(str(SOLUTION), "--only", "S01", option, str(tmp_path / "sortie"))
    assert done.returncode == 2 and "note partielle" in done.stderr and option in done.stderr
    assert not list(tmp_path.iterdir()), "rien n'est corrigé ni écrit"


def test_an_unwritable_export_is_a_usage_error(tmp_path):
    (tmp_path / "fichier").write_text("pas un dossier", encoding="utf-8")
    done = run_grader(str(SOLUTION), "--only", "S01", "--json", str(tmp_path / "fichier" / "notes.json"))
    assert done.returncode == 2
    assert "impossible d'écrire" in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the students' programs are listed through /proc")
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("whole_class", [False, True], ids=["seul", "classe"])
def test_a_stopped_grading_gives_no_grade_and_leaves_nothing_running(tmp_path, how: str, whole_class: bool):
    """Ctrl-C, a cancelled CI job or a closed terminal: the programs of the students are killed on the
    way out, and no grade is shown for checks that never ran."""
    student = tmp_path / "classe" / "etudiant"
    student.mkdir(parents=True)
    (student / "serveur_exo.py").write_text(SLOW_SERVER, encoding="utf-8")
    grading = subprocess.Popen(
        [sys.executable, "-m", "grader", str(student.parent if whole_class else student), "--sans-isolation"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert wait_probing(surviving_processes, 30, [], 0.05), "aucun programme d'élève lancé"
        grading.send_signal(getattr(signal, how))
        output, errors = grading.communicate(timeout=30)
    finally:
        grading.kill()
        grading.wait()
    assert grading.returncode == 130, output + errors
    assert "Correction interrompue." in errors
    assert "Note :" not in output
    assert surviving_processes() == []
