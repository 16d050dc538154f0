"""The pytest plugin that turns a pytest run of the check modules into a SubmissionReport.

It selects the checks (`--only` plus prerequisites), skips a check whose prerequisite did not pass,
translates each outcome into a `CheckResult` with its French message, and tells a listener (the live
console) when a check starts and ends. pytest's own output is switched off by the engine.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.checks import spec_of
from grader.harness.errors import CheckFailure
from grader.harness.lines import printable
from grader.harness.scope import format_evidence
from grader.model import Arrow, CheckResult, CheckSpec, Evidence, Status
from grader.session import STASH_KEY, GradingSession

if TYPE_CHECKING:
    import pluggy

    from grader.harness.scope import CheckScope

INTERNAL_ERROR = (
    "Erreur interne du correcteur pendant cette vérification (ce n'est pas la faute de votre programme). "
    "Signalez-la à votre enseignant."
)


@dataclass(frozen=True)
class Outcome:
    """How a check ended, before it is scored."""

    status: Status
    message: str
    failure: str = ""
    hint: str = ""
    evidence: tuple[Evidence, ...] = ()
    arrows: tuple[Arrow, ...] = ()


class GraderPlugin:
    def __init__(self, session: GradingSession) -> None:
        self.session = session
        self._started: dict[str, float] = {}
        self._outcomes: dict[str, Outcome] = {}

    @pytest.hookimpl
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[STASH_KEY] = self.session

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.session.collection_errors.append(str(report.longrepr))

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            spec = spec_of(item)
            wanted = spec is not None and (self.session.only is None or spec.id in self.session.only)
            (kept if wanted else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        # What is loaded now (pytest, the kit, the checks) lives as long as the grading: the collector no
        # longer looks through it at each full collection (70 ms of CPU per grading, five of them at the end).
        gc.freeze()

    @pytest.hookimpl
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        spec = _spec(item)
        self._started[spec.id] = time.monotonic()
        self._notify("debut", spec, None)
        for required in spec.requires:
            previous = self.session.results.get(required)
            if previous is None or not previous.passed:
                title = previous.spec.title if previous else ""
                pytest.skip(f"Ignorée : elle suppose que {required} ({title}) réussisse, ce qui n'est pas le cas.")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        spec = _spec(item)
        if report.when == "teardown":
            ended = self._outcomes.pop(spec.id, Outcome(Status.ERROR, INTERNAL_ERROR))
            if report.failed and ended.status is Status.PASSED:
                ended = Outcome(Status.ERROR, INTERNAL_ERROR)
            self._finish(spec, ended)
        elif report.skipped:
            self._outcomes[spec.id] = Outcome(Status.SKIPPED, _skip_reason(report))
        elif report.failed:
            self._outcomes[spec.id] = self._failure(item, call)
        elif report.when == "call":
            self._outcomes[spec.id] = Outcome(Status.PASSED, self._remarks(item))

    def _failure(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Outcome:
        excinfo = call.excinfo
        if excinfo is None:  # pytest gives the exception of every failed phase
            return Outcome(Status.ERROR, INTERNAL_ERROR)
        if isinstance(excinfo.value, CheckFailure):
            failure = excinfo.value
            return self._failed(
                item, failure.french(with_hint=False), printable(failure.hint or ""), printable(failure.expected or "")
            )
        if excinfo.errisinstance(pytest.fail.Exception) and "Timeout" in str(excinfo.value):
            summary = (
                f"La vérification a dépassé le délai maximal ({self.session.timeout_s:g} s) : "
                "votre programme semble bloqué."
            )
            return self._failed(item, summary)
        if excinfo.errisinstance(AssertionError):  # a plain `assert` in a check written by a teacher
            return self._failed(item, str(excinfo.value) or "Assertion non vérifiée.")
        detail = f"({excinfo.typename} : {excinfo.value})"
        if self.session.verbose:
            last = excinfo.traceback[-1]
            detail += f" à {Path(str(last.path)).name}:{last.lineno + 1}"
        return Outcome(Status.ERROR, f"{INTERNAL_ERROR}\n{detail}")

    def _failed(self, item: pytest.Item, failure: str, hint: str = "", expected: str = "") -> Outcome:
        """A failure with its evidence (asked of the scope now: the verdict is given, its programs still
        run). `message`, what the exports show, is the failure, the hint and the end of the evidence."""
        scope = self._scope(item)
        evidence = tuple(scope.evidence_sections()) if scope is not None else ()
        arrows = scope.arrows() if scope is not None else []
        if expected:
            arrows.append(missing_arrow(failure, expected, arrows))
        text = format_evidence(list(evidence), verbose=self.session.verbose)
        message = _join(failure, f"Indice : {hint}" if hint else "", printable("\n".join(text)))
        return Outcome(Status.FAILED, message, failure, hint, evidence, tuple(arrows))

    def _scope(self, item: pytest.Item) -> CheckScope | None:
        return getattr(item, "funcargs", {}).get("scope")

    def _remarks(self, item: pytest.Item) -> str:
        scope = self._scope(item)
        return "\n".join(scope.remarks) if scope is not None else ""

    def _finish(self, spec: CheckSpec, outcome: Outcome) -> None:
        points_max = self.session.points.get(spec.id, spec.points)
        result = CheckResult(
            spec=spec,
            status=outcome.status,
            points=points_max if outcome.status is Status.PASSED else 0.0,
            points_max=points_max,
            message=outcome.message,
            duration_s=time.monotonic() - self._started.pop(spec.id, time.monotonic()),
            failure=outcome.failure,
            hint=outcome.hint,
            evidence=outcome.evidence,
            arrows=outcome.arrows,
        )
        self.session.results[spec.id] = result
        self._notify("fin", spec, result)

    def _notify(self, event: str, spec: CheckSpec, result: CheckResult | None) -> None:
        if self.session.listener is not None:
            self.session.listener(event, spec, result)


def _spec(item: pytest.Item) -> CheckSpec:
    """The spec of a check that runs: collection keeps only the functions that carry one."""
    spec = spec_of(item)
    if spec is None:
        raise TypeError(f"{item.nodeid} : pas une vérification")
    return spec


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def missing_arrow(failure: str, expected: str, arrows: list[Arrow]) -> Arrow:
    """The line that was expected and did not come. Its text is the quoted line of `expected` when it
    quotes one ("Bob reçoit « Alice : Bonjour ! »"); it goes to the client named just before that quote,
    else to the client the failure's first line names last ("… n'est pas arrivé à Bob"), else to the
    server's console (a console check, or no client named)."""
    summary = failure.splitlines()[0] if failure else ""
    quoted = re.search(r"«\s*(.+?)\s*»", expected)
    text = quoted[1] if quoted else expected
    peers = {arrow.peer for arrow in arrows if arrow.peer}
    if "console" in summary or "console" in expected:
        return Arrow("", False, text, missing=True)
    for where in (expected[: quoted.start()] if quoted else "", summary):
        named = [(where.rfind(peer), peer) for peer in peers if peer in where]
        if named:
            return Arrow(max(named)[1], False, text, missing=True)
    return Arrow("", False, text, missing=True)


def _join(*parts: str) -> str:
    return "\n".join(part for part in parts if part)
