"""Batch mode: isolation of each submission's grading process, then a whole class end to end.

The first part replaces the grading command by small scripts (hang, flood, crash, report) to prove the
isolation quickly; the second grades a class built from the test corpus, as a teacher does.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.batch import worker as worker_module
from grader.batch.discovery import BatchItem
from grader.batch.runner import _Pool, expected_of, grade_all, run_batch
from grader.batch.worker import TOKEN_VARIABLE, GradingOptions, Worker
from grader.formats import french_number
from grader.harness import procfs
from grader.harness.waiting import wait_probing
from grader.model import Student
from tests.batch_scripts import SCRIPTED_ONLY, batch_options, every_class_export
from tests.grading import CORPUS, GRADE_TOGETHER_TIMEOUT_S, SOLUTION, STARTERS, grade, grade_together, run_grader
from tests.html_check import HtmlChecker

HANG = """
import os, pathlib, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
if os.fork() == 0:  # a grandchild that escapes the tree by a double fork
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
pathlib.Path(sys.argv[1]).write_text("pret")
time.sleep(600)
"""
FLOOD = """
import sys
while True:
    sys.stderr.write("inondation " * 1000)
"""
CRASH = """
import sys
sys.stderr.write("Traceback (most recent call last):\\nRuntimeError: boum\\n")
sys.exit(3)
"""
REPORT = """
import json, sys
report = {"soumission": "ignoree", "note": 20 if sys.argv[1] == "reussie" else 0, "note_max": 20, "bonus": 0,
          "bonus_max": 0, "duree_s": 0.1,
          "verifications": [{"id": "S01", "titre": "Le serveur démarre", "categorie": "serveur",
                             "statut": sys.argv[1], "points": 1 if sys.argv[1] == "reussie" else 0,
                             "points_max": 1, "message": "", "duree_s": 0.1}]}
sys.stdout.write(json.dumps(report))
"""

# A grading that tells whether it was started ahead of its turn and waited for it: "A" passes if "B" was
# started while A graded; "B" passes if it was let go only once A had ended.
TURN = (
    """
import pathlib, sys, time
folder, me = pathlib.Path(sys.argv[1]), sys.argv[2]
(folder / f"{me}-pret").touch()
let_go = len(sys.stdin.readline().split()) == 2  # the block of ports it draws from
if me == "A":
    deadline = time.monotonic() + 20
    while not (folder / "B-pret").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    ok = (folder / "B-pret").exists()
    (folder / "A-fini").touch()
else:
    ok = (folder / "A-fini").exists()
sys.argv[1] = "reussie" if let_go and ok else "echouee"
"""
    + REPORT
)


@pytest.fixture
def scripted(monkeypatch, tmp_path):
    """Items whose 'grading' is the named script (its path holds the script name and arguments)."""
    scripts = {"hang": HANG, "flood": FLOOD, "crash": CRASH, "report": REPORT, "turn": TURN}
    first_arguments = {"hang": [str(tmp_path / "pret")], "turn": [str(tmp_path)]}

    def command(item: BatchItem, options: GradingOptions) -> list[str]:
        name, *extra = item.path.name.split("-")
        return [sys.executable, "-c", scripts[name], *first_arguments.get(name, []), *extra]

    monkeypatch.setattr(worker_module, "worker_command", command)

    def item(name: str) -> BatchItem:
        return BatchItem(
            source=f"classe/{name}", student=Student(name.split("-")[0], f"Élève {name}"), path=tmp_path / name
        )

    return item


def run_worker(item: BatchItem, tmp_path: Path, timeout: float) -> tuple[Worker, object, float]:
    folder = tmp_path / f"w-{item.path.name}"
    folder.mkdir()
    worker = Worker(item, SCRIPTED_ONLY, folder, timeout, expected_of(SCRIPTED_ONLY, timeout))
    started = time.monotonic()
    report = worker.run()
    return worker, report, time.monotonic() - started


@pytest.mark.skipif(not procfs.available(), reason="arbre de processus lisible sous Linux seulement")
def test_a_hanging_grading_is_killed_with_its_whole_tree(scripted, tmp_path):
    worker, report, elapsed = run_worker(scripted("hang"), tmp_path, timeout=3.0)
    assert (tmp_path / "pret").exists(), "le script n'avait pas encore lancé ses enfants"
    assert report.fatal_error.startswith("Délai dépassé") and "3 s" in report.fatal_error
    assert report.note == 0 and report.student.identifier == "hang"
    assert procfs.marked(TOKEN_VARIABLE, worker.token) == set()
    assert elapsed < 3.0 + 5.0


def test_a_flooding_grading_costs_its_time_bound_only(scripted, tmp_path):
    _, report, elapsed = run_worker(scripted("flood"), tmp_path, timeout=2.0)
    assert report.fatal_error.startswith("Délai dépassé")
    assert elapsed < 2.0 + 5.0


def test_a_crashing_grading_reports_its_error(scripted, tmp_path):
    _, report, _ = run_worker(scripted("crash"), tmp_path, timeout=30.0)
    assert (
        "Le correcteur s'est arrêté (code 3) sans rapport ; la soumission n'a pas pu être corrigée"
        in report.fatal_error
    )
    assert "RuntimeError: boum" in report.fatal_error


def test_a_report_gets_the_student_identity(scripted, tmp_path):
    _, report, _ = run_worker(scripted("report-echouee"), tmp_path, timeout=30.0)
    assert report.fatal_error == "" and report.submission == "classe/report-echouee"
    assert (report.student.identifier, report.student.name) == ("report", "Élève report-echouee")
    assert [r.status.value for r in report.results] == ["echouee"]


def test_the_rest_of_the_class_is_graded_in_order(scripted, tmp_path):
    unreadable = BatchItem(source="classe/vide", student=Student("vide"), error="Aucun fichier serveur_exo.py")
    items = [scripted("report-reussie"), scripted("crash"), unreadable, scripted("flood"), scripted("report-echouee")]
    started = time.monotonic()
    reports = grade_all(items, batch_options(jobs=2), timeout=2.0)
    assert time.monotonic() - started < 2.0 * 2 + 10.0
    assert [r.submission for r in reports] == [i.source for i in items]
    assert [bool(r.fatal_error) for r in reports] == [False, True, True, True, False]
    assert reports[2].fatal_error == "Aucun fichier serveur_exo.py"


def test_the_next_grading_loads_while_one_grades_and_waits_for_its_turn(scripted, tmp_path):
    reports = grade_all([scripted("turn-A"), scripted("turn-B")], batch_options(jobs=1), timeout=60.0)
    assert [[r.status.value for r in report.results] for report in reports] == [["reussie"], ["reussie"]]


def test_ctrl_c_kills_the_grading_started_ahead_of_its_turn(scripted, tmp_path):
    hang, ahead = (
        Worker(scripted(name), SCRIPTED_ONLY, tmp_path / f"w-{name}", 60.0, expected_of(SCRIPTED_ONLY, 60.0))
        for name in ("hang", "turn-B")
    )
    for worker in (hang, ahead):
        worker.folder.mkdir()
    pool = _Pool([hang, ahead], jobs=1)
    with ThreadPoolExecutor(1) as executor:
        grading = executor.submit(pool.run, hang)
        assert wait_probing(lambda: (tmp_path / "B-pret").exists(), 30, [], 0.01), "B n'a pas été lancé en avance"
        pool.kill_all()
        assert "arrêté par le signal SIGKILL" in grading.result(timeout=30).fatal_error
    assert ahead.process is not None and ahead.process.poll() is not None
    assert ahead.run().fatal_error == "Correction interrompue."
    with pytest.raises(KeyboardInterrupt):
        pool.run(ahead)


def test_exit_code_and_exports_of_a_batch(scripted, tmp_path, capsys):
    passing = [scripted("report-reussie"), scripted("report-reussie")]
    csv_path = tmp_path / "notes.csv"
    assert run_batch(passing, batch_options(csv=csv_path, quiet=False)) == 0
    assert csv_path.read_text(encoding="utf-8-sig").count("Élève report-reussie") == 2
    assert "Résultats de la classe" in capsys.readouterr().out
    assert run_batch([*passing, scripted("report-echouee")], batch_options()) == 1


def test_single_submission_exports_refuse_a_class_before_grading(scripted, tmp_path, capsys):
    items = [scripted("hang"), scripted("hang")]
    assert run_batch(items, batch_options(gradescope=tmp_path / "results.json")) == 2
    assert "une seule soumission" in capsys.readouterr().err
    assert not (tmp_path / "pret").exists()


# -- a whole class, end to end ---------------------------------------------------------------------
# Built from the test corpus in Moodle's "download all submissions" layout. Graded once as a folder with
# every class export and compared to single runs with the same checks; once as a single zip with
# --only S01,C01 (the zip path through the same pipeline). A subset of server, client and bonus checks
# keeps the whole suite within its time budget; every check is graded on the corpus elsewhere.
# The kit's tests grade a class on every system, confined where it can (test_batch_isolation: the refusal).
UNCONFINED_ACCEPTED = "--sans-isolation"
CLASS_CHECKS = ("S01", "S02", "S03", "S10", "C01", "C02", "C07", "B01", "B02")
ONLY_CLASS_CHECKS = ("--only", ",".join(CLASS_CHECKS))

CLASS_RUN_LIMIT_S = 230.0  # under one submission's own time bound: nothing hung, submissions ran in parallel
SYNTAX_ERROR = "def main(:\n    pass\n"


def _copy_programs(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for program in source.glob("*_exo.py"):
        (target / program.name).write_bytes(program.read_bytes())


def zip_tree(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(folder).as_posix())
    return archive


@pytest.fixture(scope="module")
def moodle_class(tmp_path_factory):
    """(download folder, its zip, {participant: (name, path graded alone or None)})."""
    root = tmp_path_factory.mktemp("classe")
    download = root / "TD3-Serveur de chat-42"
    download.mkdir()
    broken = root / "syntaxe"
    _copy_programs(SOLUTION, broken)
    (broken / "serveur_exo.py").write_text(SYNTAX_ERROR, encoding="utf-8")
    students = {
        "10001": ("Alice Martin", SOLUTION),
        "10002": ("Bruno Petit", STARTERS),
        "10003": ("Chloé Dubois", CORPUS / "nom_non_nettoye"),
        "10004": ("David Éloi", CORPUS / "n_ecoute_jamais"),
        "10005": ("Emma Roux", broken),
        "10006": ("Farid Benali", SOLUTION),  # handed in as a zip of a folder
        "10007": ("Gaëlle Moreau", CORPUS / "plante_au_demarrage"),
        "10008": ("Hugo Lefèvre", None),  # handed in a PDF only
        "10009": ("Inès Girard", CORPUS / "client_ascii"),  # downloaded without folders
    }
    for participant, (name, source) in students.items():
        folder = download / f"{name}_{participant}_assignsubmission_file_"
        if participant == "10006":
            folder.mkdir(parents=True)
            _copy_programs(source, root / "farid" / "chat")
            zip_tree(root / "farid", folder / "rendu.zip")
        elif participant == "10008":
            folder.mkdir(parents=True)
            (folder / "rapport.pdf").write_bytes(b"%PDF-1.4\n")
        elif participant == "10009":
            (download / f"{name}_{participant}_assignsubmission_file_client_exo.py").write_bytes(
                (source / "client_exo.py").read_bytes()
            )
        else:
            _copy_programs(source, folder)
    return download, zip_tree(download, root / "TD3-Serveur de chat-42.zip"), students


def _timed_class_run(download: Path, out: Path) -> tuple[int, str, float, Path]:
    started = time.monotonic()
    done = run_grader(
        str(download), *ONLY_CLASS_CHECKS, UNCONFINED_ACCEPTED, "--jobs", "2", *every_class_export(out), timeout=600
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started, out


@pytest.fixture(scope="module")
def class_run(moodle_class, tmp_path_factory):
    """The folder graded once with every class export: (exit code, output, elapsed, export folder); the
    same submissions are graded alone meanwhile, for the tests that compare."""
    download, _, students = moodle_class
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(_timed_class_run, download, tmp_path_factory.mktemp("exports"))
        grade_together((source, ONLY_CLASS_CHECKS) for _, source in students.values() if source is not None)
        return running.result()


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the class and its submissions alone
def test_class_exit_code_time_and_summary(class_run):
    code, output, elapsed, _ = class_run
    assert code == 1, output
    assert elapsed < CLASS_RUN_LIMIT_S
    for name in ("Alice Martin", "Gaëlle Moreau", "Inès Girard", "Résultats de la classe"):
        assert name in output


def test_class_json_identities_and_grades_equal_single_runs(class_run, moodle_class):
    _, _, _, out = class_run
    _, _, students = moodle_class
    reports = json.loads((out / "classe.json").read_text(encoding="utf-8"))["soumissions"]
    identities = [(r["etudiant"]["identifiant"], r["etudiant"]["nom"]) for r in reports]
    assert identities == [(participant, name) for participant, (name, _) in students.items()]
    by_id = {r["etudiant"]["identifiant"]: r for r in reports}
    for participant, (_, source) in students.items():
        if source is not None:
            alone = grade(source, *ONLY_CLASS_CHECKS)
            assert by_id[participant]["note"] == alone.report["note"], participant
            statuses = {v["id"]: v["statut"] for v in by_id[participant]["verifications"]}
            assert statuses == alone.statuses(), participant
    assert by_id["10001"]["note"] == by_id["10006"]["note"] == 20
    never_listens = {v["id"]: v for v in by_id["10004"]["verifications"]}
    assert never_listens["S01"]["statut"] == "echouee"
    syntax = {v["id"]: v for v in by_id["10005"]["verifications"]}
    assert syntax["S01"]["statut"] == "echouee" and "ligne 1" in syntax["S01"]["message"]
    assert syntax["C01"]["statut"] == "reussie"  # the client of that submission is still graded
    assert "Aucun fichier serveur_exo.py" in by_id["10008"]["erreur"] and by_id["10008"]["note"] == 0


def test_class_csv_opens_with_semicolons_and_decimal_commas(class_run, moodle_class):
    _, _, _, out = class_run
    _, _, students = moodle_class
    raw = (out / "notes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [(r["Identifiant"], r["Nom complet"]) for r in rows] == [
        (f"Participant {participant}", name) for participant, (name, _) in students.items()
    ]
    reports = json.loads((out / "classe.json").read_text(encoding="utf-8"))["soumissions"]
    assert [r["Note"] for r in rows] == [french_number(r["note"]) for r in reports]
    assert rows[0]["S10"] == "0,5" and "À revoir : S01" in rows[3]["Commentaire"]


def test_class_junit_and_html(class_run, moodle_class):
    _, _, _, out = class_run
    _, _, students = moodle_class
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == [name for name, _ in students.values()]
    assert [c.get("name").split()[0] for c in suites[0].findall("testcase")] == list(CLASS_CHECKS)
    assert [c.get("name") for c in suites[7].findall("testcase")] == ["correction"]
    checker = HtmlChecker()
    checker.feed((out / "classe.html").read_text(encoding="utf-8"))
    checker.close()
    assert checker.problems == [] and checker.stack == []
    assert not [a for a in checker.attributes if a[1] == "src"]
    assert all(value.startswith("#") for _, name, value in checker.attributes if name == "href")
    assert set(checker.rates) == set(CLASS_CHECKS)


def test_class_as_a_single_zip(moodle_class, class_run, tmp_path):
    _, archive, students = moodle_class
    started = time.monotonic()
    done = run_grader(
        str(archive), "--only", "S01,C01", UNCONFINED_ACCEPTED, "--json", str(tmp_path / "zip.json"), timeout=300
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - started < 90
    reports = json.loads((tmp_path / "zip.json").read_text(encoding="utf-8"))["soumissions"]
    assert [(r["etudiant"]["identifiant"], r["etudiant"]["nom"]) for r in reports] == [
        (participant, name) for participant, (name, _) in students.items()
    ]
    assert all(r["soumission"].startswith(str(archive)) for r in reports)
    full = json.loads((class_run[3] / "classe.json").read_text(encoding="utf-8"))["soumissions"]
    for zipped, graded in zip(reports, full, strict=True):
        full_statuses = {v["id"]: v["statut"] for v in graded["verifications"]}
        assert {v["id"]: v["statut"] for v in zipped["verifications"]} == {
            check_id: full_statuses[check_id] for check_id in ("S01", "C01") if check_id in full_statuses
        }


def test_malformed_scale_and_empty_path_are_french_usage_errors(moodle_class, tmp_path):
    download, _, _ = moodle_class
    scale = tmp_path / "bareme.toml"
    scale.write_text("[points]\nS99 = 2\n", encoding="utf-8")
    done = run_grader(str(download), "--bareme", str(scale), timeout=60)
    assert done.returncode == 2
    assert "identifiant de vérification inconnu « S99 »" in done.stderr and "Correction de la classe" not in done.stderr
    (tmp_path / "vide" / "rien").mkdir(parents=True)
    done = run_grader(str(tmp_path / "vide"), timeout=60)
    assert done.returncode == 2 and "Aucune soumission trouvée" in done.stderr
