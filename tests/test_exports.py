"""Every export format, written from synthetic reports, parsed back and checked (fast: no subprocess)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from grader.exports import ExportError, ExportOptions, classroom, usage_problem, write_exports
from grader.exports.html_report import pass_rates
from grader.model import BONUS_NOT_TRIED, Category, CheckResult, CheckSpec, Status, Student, SubmissionReport
from tests.html_check import HtmlChecker

SPECS = {
    "S01": CheckSpec("S01", "Le serveur démarre", 1, Category.SERVER),
    "S03": CheckSpec("S03", "Messages préfixés par le nom", 2.5, Category.SERVER, ("S01",)),
    "S04": CheckSpec("S04", "Diffusion à tous les autres", 9.5, Category.SERVER, ("S01",)),
    "C01": CheckSpec("C01", "Le client se connecte", 7, Category.CLIENT),
    "B01": CheckSpec("B01", "Commande /liste", 0.5, Category.BONUS),
    "B02": CheckSpec("B02", "Horodatage", 0.5, Category.BONUS),
}
HOSTILE = "<script>alert('x')</script> & \"guillemets\" \x07\x00 🎉 こんにちは"


def make_report(
    statuses: dict[str, Status],
    *,
    student: Student | None = None,
    messages: dict[str, str] | None = None,
    bonus_in_grade: bool = False,
    bonus_cap: float | None = None,
) -> SubmissionReport:
    results = [
        CheckResult(
            spec=SPECS[check_id],
            status=status,
            points=SPECS[check_id].points if status is Status.PASSED else 0.0,
            points_max=SPECS[check_id].points,
            message=(messages or {}).get(check_id, ""),
            duration_s=0.25,
        )
        for check_id, status in statuses.items()
    ]
    return SubmissionReport(
        submission=f"rendus/{student.identifier if student else 'x'}",
        results=results,
        duration_s=2.0,
        student=student,
        bonus_counts_in_grade=bonus_in_grade,
        bonus_cap=bonus_cap,
    )


ALL_PASS = dict.fromkeys(SPECS, Status.PASSED)
ALICE = make_report(ALL_PASS, student=Student("12345", "Alice Martin"))
ZOE = make_report(
    {**ALL_PASS, "S03": Status.FAILED, "B01": Status.FAILED, "B02": Status.ERROR},
    student=Student("67890", "Zoé <b>Ünïcode</b>"),
    messages={"S03": "Bob n'a pas reçu « Alice : Bonjour ! »\n" + HOSTILE, "B02": "erreur interne"},
)
BOB = make_report(
    {**ALL_PASS, "S01": Status.FAILED, "S03": Status.SKIPPED, "S04": Status.SKIPPED},
    student=Student("TD1/bob"),
    messages={"S01": "Le serveur n'écoute pas sur le port 55555.", "S03": "ignorée : S01 a échoué"},
)
TIMEOUT = SubmissionReport(
    submission="rendus/lent",
    student=Student("11111", "Charlie Lent"),
    fatal_error="Délai dépassé : la correction a été interrompue au bout de 240 s.",
)
CLASS = [ALICE, ZOE, BOB, TIMEOUT]


def export_args(tmp_path, **overrides) -> ExportOptions:
    """The exports asked, each file named relative to tmp_path."""
    files = ("csv", "json", "gradescope", "classroom", "junit", "html")
    return ExportOptions(**{key: tmp_path / value if key in files else value for key, value in overrides.items()})


def read_csv(path, delimiter: str) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "le CSV doit commencer par un BOM UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_french_format_semicolon_decimal_comma_bom(tmp_path):
    write_exports(CLASS, export_args(tmp_path, csv="notes.csv"))
    rows = read_csv(tmp_path / "notes.csv", ";")
    assert list(rows[0]) == ["Identifiant", "Nom complet", "Note", "Bonus", *SPECS, "Commentaire"]
    alice, zoe, bob, late = rows
    assert (alice["Identifiant"], alice["Nom complet"], alice["Note"], alice["Bonus"]) == (
        "Participant 12345",
        "Alice Martin",
        "20",
        "1",
    )
    assert (zoe["Note"], zoe["S03"], zoe["S04"], zoe["B01"]) == ("17,5", "0", "9,5", "0")
    assert "S03 Messages préfixés par le nom" in zoe["Commentaire"]
    assert "S04" not in zoe["Commentaire"]
    assert bob["Identifiant"] == "TD1/bob" and bob["Nom complet"] == ""
    assert "S01 Le serveur démarre" in bob["Commentaire"] and "prérequis" in bob["Commentaire"]
    assert late["Note"] == "0" and late["S01"] == "" and late["Commentaire"].startswith("Correction impossible")


def test_csv_intl_format_comma_and_dot(tmp_path):
    write_exports(CLASS, export_args(tmp_path, csv="notes.csv", csv_format="intl"))
    rows = read_csv(tmp_path / "notes.csv", ",")
    assert rows[1]["Note"] == "17.5" and rows[1]["S04"] == "9.5"
    assert rows[0]["Bonus"] == "1"


# -- JSON ------------------------------------------------------------------------------------------


def test_json_lists_every_submission_and_reads_back(tmp_path):
    write_exports(CLASS, export_args(tmp_path, json="classe.json"))
    data = json.loads((tmp_path / "classe.json").read_text(encoding="utf-8"))
    assert list(data) == ["soumissions"]
    back = [SubmissionReport.from_dict(item) for item in data["soumissions"]]
    assert [r.note for r in back] == [20.0, 17.5, 7.0, 0.0]
    assert back[1].student.name == "Zoé <b>Ünïcode</b>" and back[1].student.identifier == "67890"
    assert data["soumissions"][3]["erreur"].startswith("Délai dépassé")


# -- Gradescope and GitHub Classroom (one submission) ----------------------------------------------


def test_gradescope_results_json(tmp_path):
    write_exports([ZOE], export_args(tmp_path, gradescope="results.json"))
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert data["score"] == 17.5
    by_number = {test["number"]: test for test in data["tests"]}
    assert list(by_number) == list(SPECS)
    assert by_number["S03"]["status"] == "failed" and by_number["S03"]["score"] == 0
    assert by_number["S03"]["max_score"] == 2.5 and "Alice : Bonjour" in by_number["S03"]["output"]
    assert by_number["S04"]["status"] == "passed" and by_number["S04"]["score"] == 9.5
    assert all(test["visibility"] == "visible" and test["name"] for test in data["tests"])


@pytest.mark.parametrize("option", ["gradescope", "classroom", "vpl"])
def test_single_submission_formats_refuse_a_class(tmp_path, option):
    args = export_args(tmp_path, **{option: True if option == "vpl" else f"{option}.json"})
    assert "une seule soumission" in usage_problem(args, len(CLASS))
    with pytest.raises(ExportError, match="une seule soumission"):
        write_exports(CLASS, args)
    assert usage_problem(args, 1) is None


def read_runners(tmp_path) -> tuple[dict, dict]:
    chat = json.loads((tmp_path / "classroom.json").read_text(encoding="utf-8"))
    note = json.loads((tmp_path / "classroom-note.json").read_text(encoding="utf-8"))
    return chat, note


def reporter_total(runner: dict) -> float:
    """What the official reporter prints as a runner's total: tests passed / tests × max_score."""
    passed = sum(test["status"] == "pass" for test in runner["tests"])
    return passed / len(runner["tests"]) * runner["max_score"]


def recorded_points(*runners: dict) -> float:
    """What the official reporter sends to Classroom: the scores of the runners with a max_score."""
    return sum(test["score"] for runner in runners if runner["max_score"] for test in runner["tests"])


def test_classroom_reporter_json(tmp_path):
    write_exports([ZOE], export_args(tmp_path, classroom="classroom.json"))
    chat, note = read_runners(tmp_path)
    assert (chat["version"], chat["status"], chat["max_score"]) == (3, "error", 0)  # B02: grader error
    statuses = {test["name"].split(" ")[0]: test["status"] for test in chat["tests"]}
    assert statuses == {"S01": "pass", "S03": "fail", "S04": "pass", "C01": "pass", "B01": "fail", "B02": "error"}
    assert all(test["line_no"] == 0 for test in chat["tests"] + note["tests"])
    by_id = {test["name"].split(" ")[0]: test for test in chat["tests"]}
    assert "Alice : Bonjour" in by_id["S03"]["test_code"] and "test_code" not in by_id["S01"]
    assert f"{reporter_total(note):.2f}" == f"{ZOE.note:.2f}" == "17.50"
    assert recorded_points(chat, note) == ZOE.note and note["max_score"] == 20


def test_classroom_totals_are_the_grade_with_a_capped_bonus_and_bonuses_not_tried(tmp_path):
    partial = {**ALL_PASS, "S03": Status.FAILED}
    report = make_report(partial, bonus_in_grade=True, bonus_cap=0.75)
    assert report.note == 18.25
    write_exports([report], export_args(tmp_path, classroom="classroom.json"))
    chat, note = read_runners(tmp_path)
    scores = {test["name"].split(" ")[0]: test["score"] for test in chat["tests"]}
    assert sum(scores.values()) == pytest.approx(18.25) and (scores["B01"], scores["B02"]) == (0.5, 0.25)
    assert f"{reporter_total(note):.2f}" == "18.25" and recorded_points(chat, note) == 18.25
    not_tried = make_report(
        {**ALL_PASS, "B01": Status.FAILED},
        messages={"B01": BONUS_NOT_TRIED + "ni /liste ni /list n'ont répondu.\nEnvoyé : /liste"},
    )
    write_exports([not_tried], export_args(tmp_path, classroom="classroom.json"))
    chat, note = read_runners(tmp_path)
    assert chat["status"] == "pass" and reporter_total(note) == recorded_points(chat, note) == 20
    b01 = next(test for test in chat["tests"] if test["name"].startswith("B01"))
    assert b01["test_code"] == BONUS_NOT_TRIED + "ni /liste ni /list n'ont répondu."


@pytest.mark.parametrize("grade", [0, 20, 17.5, 13.5, 14.25, 18.25, 11])
def test_classroom_grade_parts_print_the_grade(grade):
    passed, parts = classroom.grade_parts(grade)
    assert f"{passed / parts * 20:.2f}" == f"{grade:.2f}" and parts <= 80


# -- JUnit -----------------------------------------------------------------------------------------


def test_junit_one_testcase_per_check(tmp_path):
    write_exports(CLASS, export_args(tmp_path, junit="junit.xml"))
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.get("tests") == str(3 * len(SPECS) + 1)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["Alice Martin", "Zoé <b>Ünïcode</b>", "TD1/bob", "Charlie Lent"]
    zoe_cases = {case.get("name").split(" ")[0]: case for case in suites[1].findall("testcase")}
    assert list(zoe_cases) == list(SPECS)
    failure = zoe_cases["S03"].find("failure")
    assert failure is not None and "Alice : Bonjour" in failure.text and "🎉" in failure.text
    assert zoe_cases["B02"].find("error") is not None and zoe_cases["S01"].find("failure") is None
    bob_cases = {case.get("name").split(" ")[0]: case for case in suites[2].findall("testcase")}
    assert bob_cases["S04"].find("skipped") is not None
    assert (suites[2].get("failures"), suites[2].get("skipped")) == ("1", "2")
    (late_case,) = suites[3].findall("testcase")
    assert late_case.get("name") == "correction" and "Délai dépassé" in late_case.find("error").text
    properties = {p.get("name"): p.get("value") for p in suites[1].iter("property")}
    assert properties["note"] == "17.5"


def test_junit_bonus_not_tried_is_skipped_with_its_reason(tmp_path):
    reason = BONUS_NOT_TRIED + "ni /liste ni /list n'ont répondu."
    report = make_report(
        {**ALL_PASS, "B01": Status.FAILED, "B02": Status.FAILED},
        messages={"B01": reason, "B02": "Horodatage présent mais l'heure est fausse."},
    )
    write_exports([report], export_args(tmp_path, junit="junit.xml"))
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    cases = {case.get("name").split(" ")[0]: case for case in suite.findall("testcase")}
    assert cases["B01"].find("skipped").get("message") == reason and cases["B01"].find("failure") is None
    assert cases["B02"].find("failure") is not None  # tried and wrong: a real failure
    assert (suite.get("failures"), suite.get("skipped"), suite.get("errors")) == ("1", "1", "0")


# -- VPL -------------------------------------------------------------------------------------------


def test_vpl_grade_and_comments_on_stdout(tmp_path, capsys):
    write_exports([ZOE], export_args(tmp_path, vpl=True))
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "Grade :=>> 17.5"
    assert all(line.startswith(("Comment :=>>", "Grade :=>>")) for line in lines)
    assert any("S03 Messages préfixés par le nom" in line and "échouée" in line for line in lines)
    assert "Comment :=>>>Bob n'a pas reçu « Alice : Bonjour ! »" in lines


# -- HTML ------------------------------------------------------------------------------------------


def test_html_report_self_contained_escaped_and_complete(tmp_path):
    write_exports(CLASS, export_args(tmp_path, html="classe.html"))
    text = (tmp_path / "classe.html").read_text(encoding="utf-8")
    checker = HtmlChecker()
    checker.feed(text)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    assert not {"link", "img", "iframe", "object"} & checker.tags
    assert text.count("<script>") == 1 and not [a for a in checker.attributes if a[1] == "src"]  # inline only
    assert all(value.startswith("#") for _, name, value in checker.attributes if name == "href")
    assert "svg" in checker.tags and "<script>alert" not in text and "&lt;script&gt;alert" in text
    assert checker.rates["S03"] == "1 / 2 (50 %)" and checker.rates["S01"] == "2 / 3 (67 %)"
    assert set(checker.rates) == set(SPECS)
    assert all("%" in rate for rate in checker.rates.values())
    for needle in ("Alice Martin", "Zoé &lt;b&gt;Ünïcode&lt;/b&gt;", "Délai dépassé", "Le serveur n&#x27;écoute pas"):
        assert needle in text


def test_pass_rates_say_what_their_denominator_leaves_out():
    rates = {rate.spec.id: rate for rate in pass_rates(CLASS)}
    assert (rates["S01"].passed, rates["S01"].evaluated, rates["S01"].not_graded) == (2, 3, 1)
    assert (rates["S04"].passed, rates["S04"].evaluated, rates["S04"].skipped) == (2, 2, 1)  # BOB: S01 failed
    not_tried = make_report({**ALL_PASS, "B01": Status.FAILED}, messages={"B01": BONUS_NOT_TRIED + "rien."})
    b01 = {rate.spec.id: rate for rate in pass_rates([ALICE, not_tried])}["B01"]
    assert (b01.passed, b01.evaluated, b01.not_tried) == (1, 1, 1)  # a bonus is rated over those who tried it


def test_html_table_of_students_and_folded_details(tmp_path):
    not_tried = make_report(
        {**ALL_PASS, "B01": Status.FAILED},
        student=Student("55555", "Noé Neutre"),
        messages={"B01": BONUS_NOT_TRIED + "rien."},
    )
    write_exports([*CLASS, not_tried], export_args(tmp_path, html="classe.html"))
    text = (tmp_path / "classe.html").read_text(encoding="utf-8")
    assert text.count('<tr data-nom="') == 5 and text.count('<details class="student" id="etudiant-') == 5
    assert '<details class="student" id="etudiant-1" open' not in text  # folded by default
    assert all(f'href="#etudiant-{i}"' in text for i in range(1, 6))
    row = text[text.index('data-nom="noé neutre"') :].split("</tr>")[0]
    assert 'class="c st-n"' in row and 'class="c st-f"' not in row  # a bonus not tried is neutral
    assert 'data-echecs="S03 B01 B02"' in text  # Zoé: the filter by failed check
    assert "@media print" in text and 'id="filtre-echec"' in text


def test_html_single_submission(tmp_path):
    write_exports([ALICE], export_args(tmp_path, html="seul.html"))
    assert "100 %" in (tmp_path / "seul.html").read_text(encoding="utf-8")


# -- several at once, errors -----------------------------------------------------------------------


def test_every_class_format_at_once_in_a_new_folder(tmp_path):
    args = export_args(tmp_path, csv="out/a.csv", json="out/a.json", junit="out/a.xml", html="out/a.html")
    write_exports(CLASS, args)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv", "a.html", "a.json", "a.xml"]


def test_unwritable_destination_is_a_french_error(tmp_path):
    (tmp_path / "fichier").write_text("x")
    with pytest.raises(ExportError, match="impossible d'écrire"):
        write_exports(CLASS, export_args(tmp_path, csv="fichier/notes.csv"))
