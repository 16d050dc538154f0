"""The pytest plugin that turns a pytest run of the check modules into a SubmissionReport.

It selects the checks (`--only` plus prerequisites), skips a check whose prerequisite did not pass,
translates each outcome into a `CheckResult` with its French message, and tells a listener (the live
console) when a check starts and ends. pytest's own output is switched off by the engine.

A check may end after its function returned: its last step, a wait that only its deadline ends where no
rest can be proven, runs in a thread of its own (CheckScope.finish_later) while the next checks run. Its
result is told once that step has ended, and the results are told in the order the checks ran. A check
that requires one whose last step still runs is run as if it had passed; when that step fails it, the
checks that required it are skipped as if they had waited: the verdicts are those of one check after the
other, only sooner.
"""

from __future__ import annotations

import gc
import re
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.checks import spec_of
from grader.harness.errors import CheckFailure
from grader.harness.lines import printable
from grader.harness.scope import CheckScope, format_evidence
from grader.model import Arrow, CheckResult, CheckSpec, Evidence, Status
from grader.session import STASH_KEY, GradingSession

if TYPE_CHECKING:
    import pluggy

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


@dataclass
class _Ran:
    """A check that started, until its result is told."""

    spec: CheckSpec
    started: float
    assumed: list[str] = field(default_factory=list)  # prerequisites run as passed while their last step ran
    outcome: Outcome | None = None  # once its function and teardown are done
    scope: CheckScope | None = None
    ended: float = 0.0
    told_start: bool = False

    def ended_at(self) -> float:
        late = self.scope.late_end() if self.scope is not None else None
        return late.at if late is not None else self.ended


class GraderPlugin:
    def __init__(self, session: GradingSession) -> None:
        self.session = session
        self._outcomes: dict[str, Outcome] = {}
        self._running: deque[_Ran] = deque()  # in the order they started, until told

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
        ran = _Ran(_spec(item), time.monotonic())
        self._running.append(ran)
        self._tell()
        for required in ran.spec.requires:
            passed = self._passed(required)
            if passed is None:
                ran.assumed.append(required)
            elif not passed:
                pytest.skip(self._not_passed(required))

    def _passed(self, check_id: str) -> bool | None:
        """Whether the check passed; None while that is not known yet (its last step, or one of a check
        it required, still runs)."""
        told = self.session.results.get(check_id)
        if told is not None:
            return told.passed
        ran = next((ran for ran in self._running if ran.spec.id == check_id), None)
        if ran is None:  # not run: not selected
            return False
        if ran.outcome is None or (ran.scope is not None and ran.scope.finishing()):
            return None
        if any(self._passed(required) is None for required in ran.assumed):
            return None
        return self._final(ran).status is Status.PASSED

    def _not_passed(self, required: str) -> str:
        previous = self.session.results.get(required)
        title = previous.spec.title if previous else ""
        return f"Ignorée : elle suppose que {required} ({title}) réussisse, ce qui n'est pas le cas."

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        self._tell(wait=True)

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
            ran = next(ran for ran in self._running if ran.spec.id == spec.id)
            ran.outcome, ran.scope, ran.ended = ended, self._scope(item), time.monotonic()
            self._tell()
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
        failure = self._as_failure(excinfo)
        if failure is not None:
            scope = self._scope(item)
            return self._failed(failure, *(scope.proof() if scope is not None else ((), ())))
        detail = f"({excinfo.typename} : {excinfo.value})"
        if self.session.verbose:
            last = excinfo.traceback[-1]
            detail += f" à {Path(str(last.path)).name}:{last.lineno + 1}"
        return Outcome(Status.ERROR, f"{INTERNAL_ERROR}\n{detail}")

    def _as_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> CheckFailure | None:
        """The exception of a failed phase as the student's failure; None for an error of the grader."""
        if isinstance(excinfo.value, CheckFailure):
            return excinfo.value
        if excinfo.errisinstance(pytest.fail.Exception) and "Timeout" in str(excinfo.value):
            return CheckFailure(
                f"La vérification a dépassé le délai maximal ({self.session.timeout_s:g} s) : "
                "votre programme semble bloqué."
            )
        if excinfo.errisinstance(AssertionError):  # a plain `assert` in a check written by a teacher
            return CheckFailure(str(excinfo.value) or "Assertion non vérifiée.")
        return None

    def _failed(self, failure: CheckFailure, evidence: tuple[Evidence, ...], arrows: tuple[Arrow, ...]) -> Outcome:
        """A failure with its evidence. `message`, what the exports show, is the failure, the hint and the
        end of the evidence."""
        summary, hint = failure.french(with_hint=False), printable(failure.hint or "")
        expected = printable(failure.expected or "")
        if expected:
            arrows = (*arrows, missing_arrow(summary, expected, list(arrows)))
        text = format_evidence(list(evidence), verbose=self.session.verbose)
        message = _join(summary, f"Indice : {hint}" if hint else "", printable("\n".join(text)))
        return Outcome(Status.FAILED, message, summary, hint, evidence, arrows)

    def _scope(self, item: pytest.Item) -> CheckScope | None:
        return getattr(item, "funcargs", {}).get("scope")

    def _remarks(self, item: pytest.Item) -> str:
        scope = self._scope(item)
        return "\n".join(scope.remarks) if scope is not None else ""

    def _tell(self, *, wait: bool = False) -> None:
        """Tell the checks that ran, in the order they started, up to the first one still running (whose
        start is told); `wait`: until the last, waiting for the last steps that still run."""
        while self._running:
            ran = self._running[0]
            if not ran.told_start:
                ran.told_start = True
                self._notify("debut", ran.spec, None)
            if ran.outcome is None or (not wait and ran.scope is not None and ran.scope.finishing()):
                return
            self._running.popleft()
            self._finish(ran.spec, self._final(ran), ran.ended_at() - ran.started)

    def _final(self, ran: _Ran) -> Outcome:
        """The outcome of a check that ran, once its last step has ended and the checks it required are
        told: a failure of its last step, or a skip when a check it ran as passed did not pass."""
        outcome = ran.outcome or Outcome(Status.ERROR, INTERNAL_ERROR)
        late = ran.scope.late_end() if ran.scope is not None else None
        if late is not None and late.error is not None and outcome.status is Status.PASSED:
            error = late.error
            outcome = (
                self._failed(error, late.evidence, late.arrows)
                if isinstance(error, CheckFailure)
                else Outcome(Status.ERROR, INTERNAL_ERROR)
            )
        for required in ran.assumed:
            if not self._passed(required):
                return Outcome(Status.SKIPPED, self._not_passed(required))
        return outcome

    def _finish(self, spec: CheckSpec, outcome: Outcome, duration_s: float) -> None:
        points_max = self.session.points.get(spec.id, spec.points)
        result = CheckResult(
            spec=spec,
            status=outcome.status,
            points=points_max if outcome.status is Status.PASSED else 0.0,
            points_max=points_max,
            message=outcome.message,
            duration_s=duration_s,
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
