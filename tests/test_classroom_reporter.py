"""`--classroom` read by GitHub Classroom's official reporter, run with Node (scripts/verifier_classroom.py).

Skipped with the reason when `node` or a copy of classroom-resources/autograding-grading-reporter
(`REPORTER_SRC`) is not there.
"""

from __future__ import annotations

import os
import sys

import pytest

from grader.exports import write_exports
from grader.model import BONUS_NOT_TRIED, Status
from tests.grading import ROOT
from tests.test_exports import ALL_PASS, ZOE, export_args, make_report

sys.path.insert(0, str(ROOT / "scripts"))
import verifier_classroom as verifier

MISSING = verifier.missing_requirements(os.environ.get("REPORTER_SRC"))
NOT_TRIED = make_report(
    {**ALL_PASS, "B01": Status.FAILED, "B02": Status.FAILED},
    messages={
        "B01": BONUS_NOT_TRIED + "ni /liste ni /list n'ont répondu.",
        "B02": BONUS_NOT_TRIED + "aucune heure [HH:MM].",
    },
)
CAPPED = make_report(
    {**ALL_PASS, "S03": Status.FAILED},
    bonus_in_grade=True,
    bonus_cap=0.75,
    messages={"S03": "Bob a reçu « Bonjour » au lieu de « Alice : Bonjour »."},
)


@pytest.mark.skipif(MISSING is not None, reason=f"rapporteur de Classroom non exécutable ici : {MISSING}")
@pytest.mark.parametrize("report", [ZOE, NOT_TRIED, CAPPED], ids=["echecs", "bonus-non-tentes", "bonus-plafonne"])
def test_the_official_reporter_prints_french_messages_and_the_grade(tmp_path, report):
    write_exports([report], export_args(tmp_path, classroom="classroom.json"))
    run = verifier.run_reporter(os.environ["REPORTER_SRC"], tmp_path / "classroom.json")
    assert verifier.problems(run, report.to_dict()) == [], run.log
