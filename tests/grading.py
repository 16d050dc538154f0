"""Running the grader end to end, as a student or a teacher does, from the kit's own tests.

`grade(path, *args)` runs `python -m grader PATH --json FILE *args` in a subprocess and caches the result
for the whole test session, so that several tests can assert on one run: one grading per submission and
options. `grade_together` fills that cache for a module's tests before they run, a few gradings at a time (they
mostly wait on the students' programs, so they overlap well on two cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from grader.harness.procfs import SWITCH_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "soumissions"
SOLUTION = ROOT / "solution"
STARTERS = ROOT / "exercice"
GRADING_TIMEOUT_S = 150
# Gradings run at once by grade_together. One mostly waits on the students' programs (measured: 1.5 s of
# processor for 5 s), so four share two cores without starving them, even with another program using one.
PARALLEL_GRADINGS = 4
# pytest-timeout's bound for a test whose module fixture grades every submission of the module (grade_together):
# a few tens of gradings, four at a time, on a loaded 2-core machine.
GRADE_TOGETHER_TIMEOUT_S = 600


@dataclass(frozen=True)
class GradingResult:
    exit_code: int
    report: dict
    output: str  # what the grader printed (stdout then stderr)
    seconds: float  # how long the grading took (a test that bounds it reads this, not its own clock)

    def check(self, check_id: str) -> dict:
        for item in self.report.get("verifications", []):
            if item["id"] == check_id:
                return item
        present = sorted(item["id"] for item in self.report.get("verifications", []))
        raise KeyError(f"{check_id} absent du rapport : {present}")

    def status(self, check_id: str) -> str:
        return self.check(check_id)["statut"]

    def message(self, check_id: str) -> str:
        return self.check(check_id)["message"]

    def statuses(self) -> dict[str, str]:
        return {item["id"]: item["statut"] for item in self.report.get("verifications", [])}


def run_grader(
    *args: str, timeout: float = GRADING_TIMEOUT_S, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """`python -m grader *args` from `cwd` (the repository root), output captured as text (env: added
    variables)."""
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


@cache
def grade(path: Path, *args: str) -> GradingResult:
    return _graded(path, args, None)


@cache
def grade_without_procfs(path: Path, *args: str) -> GradingResult:
    """grade() with /proc reading turned off (procfs.SWITCH_VARIABLE): the path of Windows and macOS."""
    return _graded(path, args, {SWITCH_VARIABLE: "1"})


def grade_together(submissions: Iterable[tuple[Path, tuple[str, ...]]]) -> None:
    """grade() each (path, arguments), PARALLEL_GRADINGS at a time, so that the tests find them graded. A
    grading that fails (a timeout) is not cached: the test that needs it runs it again and tells why."""
    with ThreadPoolExecutor(max_workers=PARALLEL_GRADINGS) as pool:
        for submission in dict.fromkeys(submissions):
            pool.submit(grade, submission[0], *submission[1])


def selected(request: pytest.FixtureRequest, name: str) -> list:
    """The values of the parameter `name` of the tests of the requesting module that this session runs:
    a module fixture grades in advance only what the selected tests need."""
    return [
        item.callspec.params[name]
        for item in request.session.items
        if item.module is request.module and name in getattr(getattr(item, "callspec", None), "params", {})
    ]


def _graded(path: Path, args: tuple[str, ...], env: dict[str, str] | None) -> GradingResult:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rapport.json"
        began = time.monotonic()
        done = run_grader(str(path), "--json", str(out), *args, env=env)
        seconds = time.monotonic() - began
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return GradingResult(done.returncode, report, done.stdout + done.stderr, seconds)


def assert_failures_named(result: GradingResult, failures: dict[str, tuple[str, ...]]) -> None:
    """Each failing check's message holds every French word given for it."""
    for check, words in failures.items():
        message = result.message(check)
        missing = [word for word in words if word not in message]
        assert not missing, f"{check} : {missing} absent de :\n{message}"


def docstring_lines(folders: Iterable[str], filename: str) -> dict[str, str]:
    """The one-line docstring of `filename` in each corpus folder, which holds no other Python file."""
    lines = {}
    for folder in folders:
        assert sorted(path.name for path in (CORPUS / folder).glob("*.py")) == [filename], folder
        first = (CORPUS / folder / filename).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith('"""') and first.endswith('"""') and len(first) > 6, folder
        lines[folder] = first
    return lines
