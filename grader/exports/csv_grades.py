"""`--csv`: one row per submission, for a spreadsheet (Moodle's importer refuses it: use --feuille-moodle).

Columns: Identifiant (`Participant 12345` for a Moodle download, as in Moodle's grading worksheet),
Nom complet, Note (/20), Bonus, one column per check id (the points earned; empty when the submission
could not be graded), Commentaire (short French summary of what failed).
`fr` format (default): `;` separator, decimal comma. `intl`: `,` and `.`. Written UTF-8 with a BOM.
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


def render(reports: list[SubmissionReport], csv_format: str = "fr") -> str:
    delimiter, number = (",", dot_number) if csv_format == "intl" else (";", french_number)
    checks = [spec.id for spec in check_columns(reports)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([*HEADER, *checks, COMMENT_HEADER])
    for report in reports:
        earned = {r.spec.id: number(r.points) for r in report.results}
        writer.writerow(
            [
                record_identifier(report),
                report.student.name if report.student else "",
                number(report.note),
                number(report.bonus),
                *(earned.get(check_id, "") for check_id in checks),
                short_comment(report),
            ]
        )
    return buffer.getvalue()
