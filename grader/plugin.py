"""The pytest plugin that turns a pytest run of the check modules into a SubmissionReport.

It selects the checks (`--only` plus prerequisites), skips a check whose prerequisite did not pass,
translates each outcome into a `CheckResult` with its French message, and tells a listener (the live
console) when a check starts and ends. pytest's own output is switched off by the engine.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.checks import spec_of
from grader.harness.errors import CheckFailure
from grader.model import CheckResult, CheckSpec, Status
from grader.session import STASH_KEY, GradingSession

if TYPE_CHECKING:
    import pluggy

    from grader.harness.scope import CheckScope

INTERNAL_ERROR = (
    "Erreur interne du correcteur pendant cette vérification (ce n'est pas la faute de votre programme). "
    "Signalez-la à votre enseignant."
)


class GraderPlugin:
    def __init__(self, session: GradingSession) -> None:
        self.session = session
        self._started: dict[str, float] = {}
        self._outcomes: dict[str, tuple[Status, str]] = {}

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
            status, message = self._outcomes.pop(spec.id, (Status.ERROR, INTERNAL_ERROR))
            if report.failed and status is Status.PASSED:
                status, message = Status.ERROR, INTERNAL_ERROR
            self._finish(spec, status, message)
        elif report.skipped:
            self._outcomes[spec.id] = (Status.SKIPPED, _skip_reason(report))
        elif report.failed:
            self._outcomes[spec.id] = self._failure(item, call)
        elif report.when == "call":
            self._outcomes[spec.id] = (Status.PASSED, self._remarks(item))

    def _failure(self, item: pytest.Item, call: pytest.CallInfo[None]) -> tuple[Status, str]:
        excinfo = call.excinfo
        if excinfo is None:  # pytest gives the exception of every failed phase
            return Status.ERROR, INTERNAL_ERROR
        evidence = self._evidence(item)
        if isinstance(excinfo.value, CheckFailure):
            return Status.FAILED, _join(excinfo.value.french(), evidence)
        if excinfo.errisinstance(pytest.fail.Exception) and "Timeout" in str(excinfo.value):
            summary = (
                f"La vérification a dépassé le délai maximal ({self.session.timeout_s:g} s) : "
                "votre programme semble bloqué."
            )
            return Status.FAILED, _join(summary, evidence)
        if excinfo.errisinstance(AssertionError):  # a plain `assert` in a check written by a teacher
            return Status.FAILED, _join(str(excinfo.value) or "Assertion non vérifiée.", evidence)
        detail = f"({excinfo.typename} : {excinfo.value})"
        if self.session.verbose:
            last = excinfo.traceback[-1]
            detail += f" à {Path(str(last.path)).name}:{last.lineno + 1}"
        return Status.ERROR, f"{INTERNAL_ERROR}\n{detail}"

    def _scope(self, item: pytest.Item) -> CheckScope | None:
        return getattr(item, "funcargs", {}).get("scope")

    def _evidence(self, item: pytest.Item) -> str:
        scope = self._scope(item)
        return scope.evidence() if scope is not None else ""

    def _remarks(self, item: pytest.Item) -> str:
        scope = self._scope(item)
        return "\n".join(scope.remarks) if scope is not None else ""

    def _finish(self, spec: CheckSpec, status: Status, message: str) -> None:
        points_max = self.session.points.get(spec.id, spec.points)
        result = CheckResult(
            spec=spec,
            status=status,
            points=points_max if status is Status.PASSED else 0.0,
            points_max=points_max,
            message=message,
            duration_s=time.monotonic() - self._started.pop(spec.id, time.monotonic()),
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


def _join(*parts: str) -> str:
    return "\n".join(part for part in parts if part)
