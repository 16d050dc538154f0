"""The plugin tells the results in the order the checks ran, each once its last step (CheckScope.finish_later)
has ended; a check run as if its prerequisite had passed, while that one's last step still ran, is skipped
when that step fails it; a check whose prerequisite's last step has failed, still untold behind another
one, is skipped at once. Checks written for this test, run by the plugin the way the engine runs them,
where /proc is not read (GRADER_SANS_PROC)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from grader.harness.procfs import SWITCH_VARIABLE
from tests.grading import ROOT

CHECKS = """
import threading

from grader.checks import verification
from grader.harness.errors import fail

RELEASED = threading.Event()
SCOPES = {}
PATIENCE_S = 10.0  # bounds a wait that the next checks end at once


def late_s01():
    released = RELEASED.wait(PATIENCE_S)
    fail("S01 échoue après son retour, " + ("libérée par S05." if released else "jamais libérée."))


@verification("S01", "Longue dernière étape", points=1)
def test_s01(scope):
    scope.finish_later(late_s01, now=lambda: False)


@verification("S02", "Dernière étape qui échoue", points=1)
def test_s02(scope):
    SCOPES["S02"] = scope
    scope.finish_later(lambda: fail("S02 échoue après son retour."), now=lambda: False)


@verification("S03", "Attend la fin de S02", points=1)
def test_s03(scope):
    SCOPES["S02"].late_end()


@verification("S04", "Suppose S02", points=1, requires=("S02",))
def test_s04(scope):
    pass


@verification("S05", "Suppose S01", points=1, requires=("S01",))
def test_s05(scope):
    RELEASED.set()
"""

RUNNER = """
import json
import sys
from pathlib import Path

import pytest

from grader.plugin import GraderPlugin
from grader.session import GradingSession

checks, out = sys.argv[1], Path(sys.argv[2])
events = []
session = GradingSession(
    submission=Path(checks).parent,
    points={},
    listener=lambda event, spec, result: events.append([event, spec.id]),
)
pytest.main(
    [checks, "-q", "-p", "no:cacheprovider", "-p", "grader.checks.conftest", "--rootdir", str(Path(checks).parent)],
    plugins=[GraderPlugin(session)],
)
results = {check: [result.status.value, result.message] for check, result in session.results.items()}
out.write_text(json.dumps({"events": events, "results": results}), encoding="utf-8")
"""


def test_results_in_order_and_assumed_prerequisites_settled(tmp_path: Path) -> None:
    checks = tmp_path / "test_ordre.py"
    checks.write_text(CHECKS, encoding="utf-8")
    out = tmp_path / "resultats.json"
    env = {**os.environ, SWITCH_VARIABLE: "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(checks), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.exists(), done.stdout + done.stderr
    told = json.loads(out.read_text(encoding="utf-8"))
    ids = ["S01", "S02", "S03", "S04", "S05"]
    assert told["events"] == [[event, check] for check in ids for event in ("debut", "fin")]
    results = told["results"]
    assert list(results) == ids
    assert results["S01"] == ["echouee", "S01 échoue après son retour, libérée par S05."]
    assert results["S02"] == ["echouee", "S02 échoue après son retour."]
    assert results["S03"][0] == "reussie"
    for check, prerequisite in (("S04", "S02"), ("S05", "S01")):
        status, message = results[check]
        assert status == "ignoree"
        assert message.startswith(f"Ignorée : elle suppose que {prerequisite} ("), message
