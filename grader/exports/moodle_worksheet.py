"""`--feuille-moodle FICHIER`: fill the offline grading worksheet downloaded from a Moodle assignment.

Moodle's importer (`mod/assign/feedback/offline/importgradeslib.php`) finds its columns by their titles
in the language of the teacher's Moodle (`Identifier` / `Grade` / `Last modified (grade)` in English,
`Identifiant` / `Note` / `Dernière modification (note)` in French) and refuses a file that lacks one of the
three; a grade is read with the decimal separator of that language (`unformat_float`). So the kit never
builds that file: it fills the one the teacher downloaded, whatever its language, column order, encoding,
separator and line ends, and touches only two cells of the rows it has a grade for:

- the grade, written with the decimal separator the worksheet itself uses (read from its grade and
  maximum-grade cells, which Moodle writes with `format_float`);
- the feedback comments, when the worksheet has that column (HTML-escaped: Moodle stores it as HTML).

Every other byte of the file is kept: untouched rows are copied as they are. Participants of the
worksheet without a graded submission stay as they are, or get 0 and a comment (`absent_zero`).
Columns are found by their titles in the languages below, else by the worksheet's structure (the record
id is the column of `<word> <number>` cells; the grade is the column just before the maximum grade,
which holds one number on every row; the feedback comments come right after "last modified (grade)").
Moodle's importer ignores a feedback column placed first (`!empty($details['index'])`): the summary
says so.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.exports.common import short_comment
from grader.formats import french_number
from grader.model import SubmissionReport

# Moodle's own strings (lang/en and the French language pack): recordid, gradenoun, lastmodifiedgrade,
# and the name of the "feedback comments" plugin (the column of its editor field).
RECORD_TITLES = ("Identifier", "Identifiant")
GRADE_TITLES = ("Grade", "Note")
MODIFIED_TITLES = (
    "Last modified (grade)",
    "Dernière modification (note)",
    "Zuletzt geändert (Bewertung)",
    "Última modificación (calificación)",
    "Laatst gewijzigd (beoordeling)",
)
FEEDBACK_TITLES = ("Feedback comments", "Feedback par commentaires", "Commentaires de feedback")
ABSENT_COMMENT = "Aucune soumission corrigée pour ce participant."

_RECORD_CELL = re.compile(r"^(?P<prefix>\D+?)(?P<number>\d+)$")
_NUMBER_CELL = re.compile(r"^\d+(?:[.,]\d+)?$")
_DELIMITERS = ",;\t:"
_ENCODINGS = ("utf-8", "cp1252")  # Moodle offers many; a worksheet re-saved by Excel on Windows is cp1252


class WorksheetError(Exception):
    """A worksheet that cannot be filled; the message is French and says what to do."""


@dataclass
class _Layout:
    """How the worksheet is written and where its columns are."""

    encoding: str
    bom: bool
    newline: str
    dialect: type[csv.Dialect] | csv.Dialect
    quote_all: bool
    record: int
    grade: int
    feedback: int | None
    decimal: str


@dataclass
class FillResult:
    """What was done: the file's bytes and what the teacher should know."""

    data: bytes
    filled: int = 0
    absent: list[str] = field(default_factory=list)  # participants of the worksheet without a grade
    unknown: list[str] = field(default_factory=list)  # graded submissions the worksheet does not list
    feedback_column: bool = True
    feedback_first: bool = False


def _decode(raw: bytes, path: Path) -> tuple[str, str, bool]:
    bom = raw.startswith(b"\xef\xbb\xbf")
    if bom:
        raw = raw[3:]
    for encoding in _ENCODINGS:
        try:
            return raw.decode(encoding), encoding, bom
        except UnicodeDecodeError:
            continue
    raise WorksheetError(f"feuille d'évaluation illisible ({path}) : ni UTF-8 ni Windows-1252.")


def _records(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> Iterator[tuple[list[str], str]]:
    """(cells, raw text) of every record, the raw text exactly as in the file (line ends included)."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in text.splitlines(keepends=True):
            consumed.append(line)
            yield line

    for cells in csv.reader(lines(), dialect):
        raw = "".join(consumed)
        consumed.clear()
        yield cells, raw


def _find(header: list[str], titles: tuple[str, ...]) -> int | None:
    stripped = [title.strip() for title in header]
    for title in titles:
        if title in stripped:
            return stripped.index(title)
    return None


def _record_column(header: list[str], rows: list[list[str]]) -> int | None:
    found = _find(header, RECORD_TITLES)
    if found is not None:
        return found
    for index in range(len(header)):
        cells = [row[index] for row in rows if index < len(row)]
        matches = [_RECORD_CELL.match(cell) for cell in cells]
        if cells and all(matches) and len({m.group("prefix") for m in matches if m}) == 1:
            return index
    return None


def _grade_column(header: list[str], rows: list[list[str]], record: int) -> int | None:
    found = _find(header, GRADE_TITLES)
    if found is not None:
        return found
    for index in range(record + 2, len(header)):  # the maximum grade: one number, the same on every row
        cells = {row[index] for row in rows if index < len(row)}
        if len(cells) == 1 and _NUMBER_CELL.match(next(iter(cells))):
            return index - 1
    return None


def _feedback_column(header: list[str]) -> int | None:
    """The feedback comments: by title, else the first feedback field, which Moodle puts right after the
    "last modified (grade)" column."""
    found = _find(header, FEEDBACK_TITLES)
    if found is not None:
        return found
    modified = _find(header, MODIFIED_TITLES)
    return modified + 1 if modified is not None and modified + 1 < len(header) else None


def _decimal(rows: list[list[str]], grade: int) -> str:
    """The decimal separator of the worksheet's language, read from its own numbers."""
    for row in rows:
        for cell in row[grade : grade + 2]:
            if _NUMBER_CELL.match(cell) and not cell.isdigit():
                return "," if "," in cell else "."
    return "."


def _layout(raw: bytes, path: Path) -> tuple[_Layout, list[tuple[list[str], str]]]:
    text, encoding, bom = _decode(raw, path)
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    records = list(_records(text, dialect))
    if not records:
        raise WorksheetError(f"feuille d'évaluation vide ({path}).")
    header = records[0][0]
    rows = [cells for cells, _ in records[1:] if cells]
    record = _record_column(header, rows)
    grade = _grade_column(header, rows, record) if record is not None else None
    if record is None or grade is None:
        raise WorksheetError(
            f"{path} ne ressemble pas à la feuille d'évaluation hors ligne de Moodle : colonnes de l'identifiant "
            f"et de la note introuvables (en-tête : {', '.join(header)}). Téléchargez-la depuis le devoir : "
            "Action d'évaluation → Télécharger la feuille d'évaluation."
        )
    if _find(header, RECORD_TITLES) is not None and _find(header, MODIFIED_TITLES) is None:
        raise WorksheetError(
            f"{path} n'a pas la colonne « Dernière modification (note) » (« Last modified (grade) ») sans "
            "laquelle Moodle refuse l'import : ce n'est pas la feuille d'évaluation téléchargée du devoir "
            "(Action d'évaluation → Télécharger la feuille d'évaluation)."
        )
    layout = _Layout(
        encoding=encoding,
        bom=bom,
        newline="\r\n" if first_line.endswith("\r") else "\n",
        dialect=dialect,
        quote_all=records[0][1].lstrip().startswith(dialect.quotechar or '"'),
        record=record,
        grade=grade,
        feedback=_feedback_column(header),
        decimal=_decimal(rows, grade),
    )
    return layout, records


def read_worksheet(path: Path) -> tuple[_Layout, list[tuple[list[str], str]]]:
    """Read and understand the worksheet (before grading, so that a wrong file is told at once)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise WorksheetError(f"impossible de lire la feuille d'évaluation {path} : {error.strerror or error}") from None
    return _layout(raw, path)


def _participant(cell: str) -> str | None:
    match = _RECORD_CELL.match(cell.strip())
    return match.group("number") if match else None


def _grades(reports: list[SubmissionReport]) -> dict[str, SubmissionReport]:
    """Graded submissions by Moodle participant number."""
    return {
        report.student.identifier: report
        for report in reports
        if report.student is not None and report.student.identifier.isdigit()
    }


def _serialise(cells: list[str], layout: _Layout) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        layout.dialect,
        quoting=csv.QUOTE_ALL if layout.quote_all else csv.QUOTE_MINIMAL,
        lineterminator=layout.newline,
    )
    writer.writerow(cells)
    return buffer.getvalue()


def _set(cells: list[str], layout: _Layout, grade: float, comment: str) -> list[str]:
    cells = list(cells)
    cells[layout.grade] = french_number(grade).replace(",", layout.decimal)
    if layout.feedback is not None and layout.feedback < len(cells):
        cells[layout.feedback] = html.escape(comment)
    return cells


def fill(path: Path, reports: list[SubmissionReport], *, absent_zero: bool = False) -> FillResult:
    """The worksheet at `path` with the grades of `reports` filled in (the file itself is not changed)."""
    layout, records = read_worksheet(path)
    by_participant = _grades(reports)
    result = FillResult(data=b"", feedback_column=layout.feedback is not None, feedback_first=layout.feedback == 0)
    parts = [records[0][1]]
    seen: set[str] = set()
    for cells, raw in records[1:]:
        number = _participant(cells[layout.record]) if layout.record < len(cells) else None
        report = by_participant.get(number or "")
        if number is not None and report is not None:
            seen.add(number)
            result.filled += 1
            raw = _serialise(_set(cells, layout, report.note, short_comment(report)), layout)
        elif number is not None:
            result.absent.append(cells[layout.record])
            if absent_zero:
                raw = _serialise(_set(cells, layout, 0.0, ABSENT_COMMENT), layout)
        parts.append(raw)
    result.unknown = sorted(
        f"{report.student.name or ''} ({number})".strip() if report.student else number
        for number, report in by_participant.items()
        if number not in seen
    )
    text = "".join(parts)
    result.data = (b"\xef\xbb\xbf" if layout.bom else b"") + text.encode(layout.encoding, errors="replace")
    return result


def filled_path(path: Path) -> Path:
    """Where the filled worksheet goes: next to the download, which is kept as it was."""
    return path.with_name(f"{path.stem}-rempli{path.suffix or '.csv'}")


def summary(result: FillResult, destination: Path, absent_zero: bool) -> str:
    """What the teacher reads once the worksheet is filled (French)."""
    lines = [f"Feuille d'évaluation Moodle remplie : {destination} ({result.filled} note(s))."]
    if result.absent:
        what = "0 et un commentaire" if absent_zero else "laissés inchangés"
        lines.append(f"  {len(result.absent)} participant(s) sans soumission corrigée : {what}.")
    if result.unknown:
        lines.append(f"  Absents de la feuille (non notés dans Moodle) : {', '.join(result.unknown)}.")
    if result.feedback_first:
        lines.append(
            "  La colonne des commentaires est la première de la feuille : l'importeur de Moodle l'ignore "
            "dans cette position ; laissez-la à sa place d'origine."
        )
    if not result.feedback_column:
        lines.append(
            "  Pas de colonne « Commentaires de feedback » : activez ce type de feedback dans le devoir "
            "pour importer aussi les commentaires."
        )
    return "\n".join(lines)
