"""`--json`: for one submission graded alone, its object (the schema of docs/guide-enseignant.md); for a
class, `{"soumissions": [...]}` of those objects."""

from __future__ import annotations

import json

from grader.model import SubmissionReport


def render(reports: list[SubmissionReport], *, single: bool = False) -> str:
    data = reports[0].to_dict() if single else {"soumissions": [report.to_dict() for report in reports]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
