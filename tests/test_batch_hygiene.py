"""What the teacher opens cannot be turned against them: the CSV in a spreadsheet, the terminal.

Names come from folder, zip and Moodle names, that a student chooses; messages quote what the student's
programs printed. No subprocess here but the one end-to-end terminal check.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.console import Console

from grader.batch.summary import print_batch_summary
from grader.exports import csv_grades
from grader.model import Student, SubmissionReport
from tests.grading import SOLUTION, run_grader

HOSTILE_NAMES = [
    '=HYPERLINK("http://x";"20")',
    "+1+1",
    "-2+3",
    "@SOMME(A1:A9)",
    "\t=1",
    "\r=1",
    "Alice Martin",
    "Zoé-Lou",
    "'=déjà",
]
ESCAPES = "\x1b[2J\x1b]0;Note 20/20\x07\x9b31m\rNote : 20 / 20"


def reports_named(names: list[str]) -> list[SubmissionReport]:
    return [
        SubmissionReport(
            submission=f"rendus/{name}",
            student=Student(identifier=name, name=name),
            fatal_error="Aucun fichier serveur_exo.py",
        )
        for name in names
    ]


@pytest.mark.parametrize("csv_format, delimiter", [("fr", ";"), ("intl", ",")])
def test_no_csv_cell_is_read_as_a_formula(csv_format, delimiter):
    text = csv_grades.render(reports_named(HOSTILE_NAMES), csv_format)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(csv_grades.FORMULA_STARTS)]
    assert [row[1] for row in rows[1:]] == ["'" + name if name[0] in "=+-@\t\r" else name for name in HOSTILE_NAMES]
    assert {row[2] for row in rows[1:]} == {"0"}  # the grades themselves are untouched


def test_spreadsheet_safe_leaves_ordinary_text_and_numbers_alone():
    assert [csv_grades.spreadsheet_safe(cell) for cell in ("14,5", "0", "Participant 12345", "Zoé-Lou", "")] == [
        "14,5",
        "0",
        "Participant 12345",
        "Zoé-Lou",
        "",
    ]


def test_the_class_table_never_sends_a_folder_s_escape_sequences_to_the_terminal():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system="standard")
    report = reports_named([f"mallory{ESCAPES}"])[0]
    report.fatal_error = f"Le correcteur s'est arrêté sans rapport.\n{ESCAPES}"
    print_batch_summary(console, [report])
    shown = out.getvalue()
    for raw in ("\x1b[2J", "\x1b]0;", "\x07", "\x9b", "\r"):
        assert raw not in shown, repr(raw)
    assert "␛[2J" in shown


def test_a_submission_s_folder_name_reaches_the_report_as_pictures(tmp_path):
    folder = tmp_path / f"rendu{ESCAPES.replace('/', '|')}"
    folder.mkdir()
    (folder / "serveur_exo.py").write_bytes((SOLUTION / "serveur_exo.py").read_bytes())
    done = run_grader(str(folder), "--only", "S01", "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in done.stdout + done.stderr, repr(raw)
    assert "␛[2J" in done.stdout
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["note"] == 20
