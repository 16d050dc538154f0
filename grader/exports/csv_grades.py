"""`--csv`: one row per submission, for a spreadsheet (Moodle's importer refuses it: use --feuille-moodle).

Columns: Identifiant (`Participant 12345` for a Moodle download, as in Moodle's grading worksheet),
Nom complet, Note (/20), Bonus, one column per check id (the points earned; empty when the submission
could not be graded), Commentaire (short French summary of what failed).
`fr` format (default): `;` separator, decimal comma. `intl`: `,` and `.`. Written UTF-8 with a BOM.
Every cell goes through `spreadsheet_safe`: a name or a comment that a spreadsheet would read as a formula
is written as text. The numbers are the grader's own and never start with one of those characters.
"""

from __future__ import annotations

import csv
import io

from grader.exports.common import check_columns, record_identifier, short_comment
from grader.formats import dot_number, french_number
from grader.model import SubmissionReport

ENCODING = "utf-8-sig"  # the BOM makes Excel and LibreOffice read UTF-8 without asking
HEADER = ["Identifiant", "Nom complet", "Note", "Bonus"]
COMMENT_HEADER = "Commentaire"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets evaluate (OWASP)


def spreadsheet_safe(cell: str) -> str:
    """`cell` as a spreadsheet reads it as text, not as a formula: a leading `'` before what would start
    one (OWASP's advice for CSV injection; the quote is the spreadsheets' own mark of text)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def render(reports: list[SubmissionReport], csv_format: str = "fr") -> str:
    delimiter, number = (",", dot_number) if csv_format == "intl" else (";", french_number)
    checks = [spec.id for spec in check_columns(reports)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([*HEADER, *checks, COMMENT_HEADER])
    for report in reports:
        earned = {r.spec.id: number(r.points) for r in report.results}
        row = [
            record_identifier(report),
            report.student.name if report.student else "",
            number(report.note),
            number(report.bonus),
            *(earned.get(check_id, "") for check_id in checks),
            short_comment(report),
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()
