"""Batch mode's test helpers: the options of a class grading, and what a grading process answers.

The batch tests replace the grading command by small scripts; these build their answers.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.batch.runner import BatchOptions
from grader.batch.worker import GradingOptions
from grader.exports import ExportOptions

SCRIPTED_ONLY = GradingOptions(only="S01")  # what the scripted gradings of test_batch answer for
ONLY_S01_S03 = GradingOptions(only="S01,S03")  # what `honest()` answers for
# A grading process that answers argv[1] on its stdout, then exits with code argv[2].
SEND = "import sys; sys.stdout.write(sys.argv[1]); sys.exit(int(sys.argv[2]))"


def every_class_export(out: Path) -> list[str]:
    """The options that ask a class grading for each of its exports, written in `out`."""
    files = {"--csv": "notes.csv", "--json": "classe.json", "--junit": "junit.xml", "--html": "classe.html"}
    return [word for option, name in files.items() for word in (option, str(out / name))]


def batch_options(
    jobs: int = 2, quiet: bool = True, grading: GradingOptions = SCRIPTED_ONLY, **exports: Path
) -> BatchOptions:
    return BatchOptions(grading=grading, exports=ExportOptions(**exports), jobs=jobs, quiet=quiet)


def honest(statuses: tuple[str, str] = ("reussie", "reussie")) -> dict:
    """What a grading process answers for --only S01,S03 (S01 worth 1 point, S03 worth 2)."""
    checks = [
        {
            "id": check_id,
            "titre": "x",
            "categorie": "serveur",
            "statut": status,
            "points": worth if status == "reussie" else 0,
            "points_max": worth,
            "message": "",
            "duree_s": 0.5,
        }
        for (check_id, worth), status in zip((("S01", 1), ("S03", 2)), statuses, strict=True)
    ]
    earned = sum(check["points"] for check in checks)
    return {
        "soumission": "ailleurs",
        "note": round(earned * 20 / 3, 2),
        "note_max": 20,
        "bonus": 0,
        "bonus_max": 0,
        "duree_s": 1.0,
        "verifications": checks,
    }


def sent(data: object, code: int = 0) -> tuple[str, str, str]:
    """The script and arguments of a grading process that answers `data` (JSON unless a str)."""
    return SEND, data if isinstance(data, str) else json.dumps(data), str(code)
