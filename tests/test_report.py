"""The console report a student reads: short, folded, ending with the next step of the starter."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader.catalogue import load_catalogue
from grader.checks.serveur import THREAD_HINT
from grader.harness.causes import KEEP_OPEN_HINT
from grader.model import CheckResult, Evidence, Status, SubmissionReport
from grader.next_step import STARTER_FILES, TODOS, next_step
from grader.render import LiveReport, print_summary
from grader.starter import untouched_files
from tests.grading import CORPUS, GRADE_TOGETHER_TIMEOUT_S, SOLUTION, STARTERS, grade, grade_together

SCREEN_LINES = 45  # a laptop terminal


def starter_todos(filename: str) -> set[int]:
    text = (STARTERS / filename).read_text(encoding="utf-8")
    return {int(number) for number in re.findall(r"# TODO (\d)", text)}


@pytest.mark.parametrize("filename", ["serveur_exo.py", "client_exo.py"])
def test_every_todo_of_the_starter_is_named_by_a_check_and_told_in_one_sentence(filename: str) -> None:
    category = next(category for category, name in STARTER_FILES.items() if name == filename)
    named = {spec.todo for spec in load_catalogue().values() if spec.category is category and spec.todo}
    told = {number for name, number in TODOS if name == filename}
    assert starter_todos(filename) == named == told


def result(check_id: str, status: Status = Status.FAILED, *, hint: str = "", failure: str = "") -> CheckResult:
    spec = load_catalogue()[check_id]
    earned = spec.points if status is Status.PASSED else 0.0
    return CheckResult(
        spec, status, earned, spec.points, message=failure, failure=failure or f"{check_id} échoue.", hint=hint
    )


def test_the_next_step_follows_the_todos_and_a_cause_names_its_todo() -> None:
    report = SubmissionReport(
        "x",
        [result("S01", Status.PASSED), result("S03", hint="relayez"), result("S05", hint=THREAD_HINT), result("C02")],
    )
    assert next_step(report).startswith(
        "Prochaine étape : S05 « Plusieurs clients simultanés » — serveur_exo.py, TODO 2 :"
    )
    report = SubmissionReport("x", [result("S03", hint="Gardez la connexion. " + THREAD_HINT), result("S07")])
    assert "S03" in next_step(report) and "TODO 2" in next_step(report)
    # Threaded, but each connection closed after the name: every scenario fails there, and it is TODO 3.
    report = SubmissionReport("x", [result("S03", hint=KEEP_OPEN_HINT), result("S05", hint=KEEP_OPEN_HINT)])
    assert "S03" in next_step(report) and "serveur_exo.py, TODO 3" in next_step(report)
    report = SubmissionReport("x", [result("S10"), result("C03")])  # an advanced check comes last
    assert "C03" in next_step(report) and "client_exo.py, TODO 3" in next_step(report)
    assert next_step(SubmissionReport("x", [result("S01", Status.PASSED)])) == ""


def live_lines(results: list[CheckResult], *, verbose: bool = False) -> list[str]:
    out = io.StringIO()
    live = LiveReport(Console(file=out, width=100, soft_wrap=True), verbose=verbose)
    for item in results:
        live("debut", item.spec, None)
        live("fin", item.spec, item)
    return out.getvalue().splitlines()


def test_one_cause_is_told_once_and_an_unreached_bonus_in_one_line() -> None:
    evidence = (
        Evidence("echanges", "Alice — échanges", tuple(f"→ ligne {n}" for n in range(20))),
        Evidence("echanges", "Bob — échanges", ("→ Bob",)),
    )
    failure = "Le message d'Alice n'est pas arrivé."
    first = CheckResult(
        load_catalogue()["S03"], Status.FAILED, 0, 2, failure=failure, hint="Relayez.", evidence=evidence
    )
    same = CheckResult(
        load_catalogue()["S04"], Status.FAILED, 0, 2, failure=failure, hint="Relayez.", evidence=evidence
    )
    bonus = CheckResult(load_catalogue()["B01"], Status.FAILED, 0, 0.5, failure="Bonus non tenté (ou non reconnu) : x")
    lines = live_lines([first, same, bonus])
    s04 = [line for line in lines if "S04" in line]
    assert len(s04) == 1 and s04[0].endswith("(même cause que S03)")
    assert "        → ligne 19" in lines and "        → ligne 15" not in lines  # the last few lines
    assert not any("Bob" in line for line in lines)  # a client the failure does not name
    assert lines[-1].strip().startswith("· B01") and "Indice : Relayez." in "\n".join(lines)
    assert "        → ligne 0" in live_lines([first, same, bonus], verbose=True)


def test_nothing_is_drawn_once_stopped() -> None:
    out = io.StringIO()
    live = LiveReport(Console(file=out, width=100), verbose=False)
    live.stop()
    item = result("S02")
    live("debut", item.spec, None)
    live("fin", item.spec, item)
    assert out.getvalue() == ""


def test_a_perfect_report_ends_with_the_grade() -> None:
    out = io.StringIO()
    print_summary(Console(file=out, width=100), SubmissionReport("x", [result("S01", Status.PASSED)]))
    assert out.getvalue().splitlines()[-1] == "Note : 20 / 20"


def test_the_untouched_starter_is_recognised(tmp_path) -> None:
    assert untouched_files(STARTERS) == ["serveur_exo.py", "client_exo.py"]
    (tmp_path / "serveur_exo.py").write_bytes((STARTERS / "serveur_exo.py").read_bytes().replace(b"\n", b"\r\n"))
    (tmp_path / "client_exo.py").write_text("print('mon client')\n", encoding="utf-8")
    assert untouched_files(tmp_path) == ["serveur_exo.py"]
    assert untouched_files(SOLUTION) == []


def report_lines(path, *args: str) -> list[str]:
    return grade(path, *args).output.rstrip("\n").splitlines()


TODO_1 = """    nom = connexion.recv(1024).decode("utf-8").strip()
    with verrou:
        clients[nom] = connexion
    print(f"{nom} ({adresse[0]}) a rejoint le chat.")
"""
STARTER_CLOSING = "    # Pour l'instant, le serveur ne sait rien faire de ce client"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The submissions whose whole report the tests below read, graded together: name -> folder."""
    root = tmp_path_factory.mktemp("rapports")
    after_todo_1 = root / "apres_todo_1"  # the starter as a student leaves it once TODO 1 of the server is done
    after_todo_1.mkdir()
    server = (STARTERS / "serveur_exo.py").read_text(encoding="utf-8")
    assert STARTER_CLOSING in server
    (after_todo_1 / "serveur_exo.py").write_text(
        server.replace(STARTER_CLOSING, TODO_1 + STARTER_CLOSING), encoding="utf-8"
    )
    (after_todo_1 / "client_exo.py").write_bytes((STARTERS / "client_exo.py").read_bytes())
    folders = {
        "solution": SOLUTION,
        "starters": STARTERS,
        "after_todo_1": after_todo_1,
        **{folder: CORPUS / folder for folder in ("sans_threads", "valide_threads")},
    }
    grade_together((folder, ()) for folder in folders.values())
    return folders


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the module's gradings
def test_a_perfect_run_fits_one_screen(graded: dict[str, Path]) -> None:
    lines = report_lines(graded["solution"])
    assert len(lines) <= SCREEN_LINES and lines[-1] == "Note : 20 / 20"


def test_the_untouched_starter_fits_two_screens_and_starts_with_todo_1_of_the_server(graded: dict[str, Path]) -> None:
    lines = report_lines(graded["starters"])
    assert len(lines) <= 2 * SCREEN_LINES
    assert "fichiers de départ" in lines[1]
    assert lines[-1].startswith("Prochaine étape : S02 « Le serveur enregistre le nom » — serveur_exo.py, TODO 1 :")


def test_after_todo_1_the_next_step_is_todo_2(graded: dict[str, Path]) -> None:
    """The starter as a student leaves it once TODO 1 of the server is done, the client untouched."""
    lines = report_lines(graded["after_todo_1"])
    assert "  ✓ S02  Le serveur enregistre le nom                   1 / 1" in lines
    assert len(lines) <= 2 * SCREEN_LINES
    assert "client_exo.py est encore le fichier de départ" in lines[1]
    assert lines[-1].startswith("Prochaine étape : S03 « Messages préfixés par le nom » — serveur_exo.py, TODO 2 :")


@pytest.mark.parametrize("folder", ["sans_threads", "valide_threads"])
def test_corpus_reports_are_short(graded: dict[str, Path], folder: str) -> None:
    lines = report_lines(graded[folder])
    assert len(lines) <= 2 * SCREEN_LINES
    assert lines[-1].startswith("Prochaine étape")


def test_both_files_misnamed_are_told_like_one(tmp_path) -> None:
    (tmp_path / "server.py").write_bytes((SOLUTION / "serveur_exo.py").read_bytes())
    (tmp_path / "client.py").write_bytes((SOLUTION / "client_exo.py").read_bytes())
    result = grade(tmp_path, "--only", "S01,C01")
    assert result.exit_code == 1, result.output
    assert "Renommez « server.py » en serveur_exo.py" in result.message("S01")
    assert "Renommez « client.py » en client_exo.py" in result.message("C01")
    assert result.output.rstrip().splitlines()[-1] == (
        "Prochaine étape : S01 « Le serveur démarre » — serveur_exo.py : Renommez « server.py » en serveur_exo.py, "
        "exactement (minuscules, tiret bas, extension .py)."
    )
