"""`--feuille-moodle`: the worksheet a teacher downloaded from Moodle, filled and read back.

The fast tests parse the filled file by Moodle's rules (column titles of its language, decimal separator
of its language, `Participant <n>` record ids); `test_moodle_importer_reads_what_the_kit_wrote` runs
Moodle's own importer classes with PHP (scripts/verifier_feuille_moodle.py) when `php` and a Moodle source
tree (`MOODLE_SRC`) are there, and is skipped with the reason otherwise.
"""

from __future__ import annotations

import csv
import html
import io
import os
import sys

import pytest

from grader.exports import ExportError, usage_problem, write_exports
from grader.exports import moodle_worksheet as mw
from grader.exports.common import short_comment
from tests.grading import ROOT
from tests.test_exports import ALICE, BOB, TIMEOUT, ZOE, export_args

sys.path.insert(0, str(ROOT / "scripts"))
import verifier_feuille_moodle as verifier

PARTICIPANTS = {"12345": "Alice Martin", "67890": "Zoé Z", "11111": "Charlie Lent", "22222": "Dana Absente"}
CLASS = [ALICE, ZOE, BOB, TIMEOUT]  # BOB is not a Moodle participant (TD1/bob)


def rows(data: bytes, variant: verifier.Variant) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig" if variant.encoding == "utf-8" else variant.encoding)
    delimiter = {"comma": ",", "semicolon": ";", "tab": "\t"}[variant.separator]
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("variant", verifier.VARIANTS, ids=lambda v: v.name)
def test_grades_and_comments_in_the_worksheets_own_columns_and_format(tmp_path, variant):
    path = tmp_path / "feuille.csv"
    original = verifier.worksheet(variant, PARTICIPANTS)
    path.write_bytes(original)
    filled = mw.fill(path, CLASS)
    assert path.read_bytes() == original, "le fichier téléchargé n'est jamais modifié"
    grade, comment = ("Grade", "Feedback comments") if variant.lang == "en" else ("Note", "Feedback par commentaires")
    read = {row[verifier.HEADERS[variant.lang][0]]: row for row in rows(filled.data, variant)}
    decimal = "." if variant.lang == "en" else ","
    assert read["Participant 12345"][grade] == "20"
    assert read["Participant 67890"][grade] == f"17{decimal}5"
    assert read["Participant 11111"][grade] == "0"
    assert read["Participant 67890"][comment] == html.escape(short_comment(ZOE))
    assert read["Participant 22222"][grade] == "" and read["Participant 22222"][comment] == ""
    assert filled.data.startswith(b"\xef\xbb\xbf") == variant.bom
    assert (b"\r\n" in filled.data) == (variant.newline == "\r\n")
    assert (filled.filled, filled.absent, filled.unknown) == (3, ["Participant 22222"], [])


def test_untouched_rows_and_header_stay_byte_identical(tmp_path):
    variant = verifier.VARIANTS[2]  # Windows-1252, semicolons, CRLF
    path = tmp_path / "feuille.csv"
    path.write_bytes(verifier.worksheet(variant, PARTICIPANTS))
    original_lines = path.read_bytes().split(b"\r\n")
    filled_lines = mw.fill(path, [ALICE]).data.split(b"\r\n")
    changed = [i for i, (a, b) in enumerate(zip(original_lines, filled_lines, strict=True)) if a != b]
    assert changed == [1] and len(filled_lines) == len(original_lines)


def test_absent_participants_get_zero_and_a_comment_on_request(tmp_path):
    variant = verifier.VARIANTS[0]
    path = tmp_path / "feuille.csv"
    path.write_bytes(verifier.worksheet(variant, PARTICIPANTS))
    read = {row["Identifier"]: row for row in rows(mw.fill(path, [ALICE], absent_zero=True).data, variant)}
    assert read["Participant 22222"]["Grade"] == "0"
    assert read["Participant 22222"]["Feedback comments"] == mw.ABSENT_COMMENT
    assert read["Participant 12345"]["Grade"] == "20"


def test_unknown_language_found_by_the_worksheets_structure(tmp_path):
    header = [
        "Kennung",
        "Vollständiger Name",
        "Status",
        "Bewertung",
        "Bestwertung",
        "Bewertung kann geändert werden",
        "Zuletzt geändert (Bewertung)",
        "Feedback als Kommentar",
    ]
    body = [["Teilnehmer/in 67890", "Zoé Z", "Abgegeben", "", "20,00", "Ja", "-", ""]]
    path = tmp_path / "feuille.csv"
    lines = [",".join(f'"{cell}"' for cell in row) for row in [header, *body]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = list(csv.reader(io.StringIO(mw.fill(path, [ZOE]).data.decode())))
    assert read[1][3] == "17,5" and read[1][7] == html.escape(short_comment(ZOE))
    assert read[1][:3] == body[0][:3] and read[1][4:7] == body[0][4:7]


def test_a_file_that_is_not_a_worksheet_is_refused_before_grading(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("Nom;Prénom\nMartin;Alice\n", encoding="utf-8")
    problem = usage_problem(export_args(tmp_path, moodle_worksheet=path), 3)
    assert problem and "feuille d'évaluation hors ligne" in problem and "Télécharger la feuille" in problem
    missing = usage_problem(export_args(tmp_path, moodle_worksheet=tmp_path / "absente.csv"), 1)
    assert missing and "impossible de lire" in missing


def test_cli_option_writes_the_filled_copy_next_to_the_download(tmp_path, capsys):
    path = tmp_path / "Feuille.csv"
    path.write_bytes(verifier.worksheet(verifier.VARIANTS[1], PARTICIPANTS))
    write_exports(CLASS, export_args(tmp_path, moodle_worksheet=path))
    assert (tmp_path / "Feuille-rempli.csv").is_file()
    told = capsys.readouterr().err
    assert "Feuille-rempli.csv (3 note(s))" in told and "1 participant(s) sans soumission corrigée" in told


def test_the_kits_own_csv_is_not_offered_as_a_worksheet(tmp_path):
    write_exports(CLASS, export_args(tmp_path, csv="notes.csv"))
    with pytest.raises(ExportError, match="Dernière modification"):
        write_exports(CLASS, export_args(tmp_path, moodle_worksheet=tmp_path / "notes.csv"))


MISSING = verifier.missing_requirements(os.environ.get("MOODLE_SRC"))


@pytest.mark.skipif(MISSING is not None, reason=f"importeur de Moodle non exécutable ici : {MISSING}")
@pytest.mark.parametrize("variant", verifier.VARIANTS, ids=lambda v: v.name)
def test_moodle_importer_reads_what_the_kit_wrote(tmp_path, variant):
    path = tmp_path / "feuille.csv"
    path.write_bytes(verifier.worksheet(variant, PARTICIPANTS))
    path.write_bytes(mw.fill(path, CLASS).data)
    imported = verifier.moodle_import(os.environ["MOODLE_SRC"], path, variant, PARTICIPANTS)
    graded = {r.student.identifier: r for r in CLASS if r.student and r.student.identifier.isdigit()}
    assert verifier.problems(imported, graded, PARTICIPANTS) == []


@pytest.mark.skipif(MISSING is not None, reason=f"importeur de Moodle non exécutable ici : {MISSING}")
def test_moodle_importer_refuses_the_stand_alone_csv(tmp_path):
    write_exports(CLASS, export_args(tmp_path, csv="notes.csv"))
    variant = verifier.Variant("notes.csv", "fr", "utf-8", "UTF-8", "semicolon")
    assert verifier.moodle_import(os.environ["MOODLE_SRC"], tmp_path / "notes.csv", variant, PARTICIPANTS) == {
        "importe": False,
        "erreur": "invalidgradeimport",
    }
