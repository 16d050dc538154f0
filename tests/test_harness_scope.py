"""A check's last step put off (CheckScope.finish_later): where no rest can be proven, it runs after the
check function returned, the scope closes after it, and its failure is kept with the evidence of the
programs as they were before the close."""

from __future__ import annotations

import sys
import threading

import pytest

from grader.harness.errors import CheckFailure, fail
from grader.harness.scope import CheckScope
from grader.model import Evidence
from tests.programs import switch_proc

PATIENCE_S = 10.0  # bounds a wait of these tests that the code under test should end at once


class Tracked:
    """Something a check tracked: closed by its scope's teardown."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


def _state(tracked: Tracked) -> str:
    return "fermé" if tracked.closed.is_set() else "en marche"


@pytest.fixture
def portable(monkeypatch: pytest.MonkeyPatch) -> tuple[CheckScope, Tracked]:
    """A check's scope where /proc is not read, and the server it tracks."""
    switch_proc(monkeypatch, on=False)
    scope = CheckScope()
    return scope, scope.track(Tracked())


@pytest.mark.parametrize(
    ("proc", "will_not_wait"),
    [
        pytest.param(
            True,
            False,
            id="avec /proc",
            marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc n'existe que sous Linux"),
        ),
        pytest.param(False, True, id="sans /proc, ce qu'elle attend déjà là"),
    ],
)
def test_a_last_step_that_ends_at_rest_or_will_not_wait_runs_at_once(
    monkeypatch: pytest.MonkeyPatch, proc: bool, will_not_wait: bool
) -> None:
    switch_proc(monkeypatch, on=proc)
    scope = CheckScope()
    ran: list[str] = []
    scope.finish_later(lambda: ran.append("dernière étape"), now=lambda: will_not_wait)
    assert ran == ["dernière étape"]
    scope.close()
    assert not scope.finishing()
    assert scope.late_end() is None


def test_without_proc_the_check_returns_before_its_last_step_and_the_scope_closes_after_it(
    portable: tuple[CheckScope, Tracked],
) -> None:
    scope, server = portable
    deadline_over = threading.Event()
    seen: list[str] = []

    def last_step() -> None:
        seen.append(_state(server))
        deadline_over.wait(PATIENCE_S)
        seen.append(_state(server))

    scope.finish_later(last_step, now=lambda: False)
    assert seen == []  # the check function goes on, and returns
    scope.close()  # returns while the last step waits
    assert scope.finishing()
    assert not server.closed.is_set()
    deadline_over.set()
    late = scope.late_end()
    assert late is not None and late.error is None
    assert seen == ["en marche", "en marche"]
    assert server.closed.is_set()
    assert not scope.finishing()


def test_a_late_failure_keeps_the_evidence_of_the_programs_still_running(
    portable: tuple[CheckScope, Tracked], monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, server = portable
    monkeypatch.setattr(scope, "evidence_sections", lambda: [Evidence("erreurs", "Erreurs", (_state(server),))])

    def last_step() -> None:
        fail("Le serveur a affiché une erreur non rattrapée.", hint="Rattrapez l'exception.")

    scope.finish_later(last_step, now=lambda: False)
    scope.close()
    late = scope.late_end()
    assert late is not None
    assert isinstance(late.error, CheckFailure)
    assert late.error.hint == "Rattrapez l'exception."
    assert late.evidence == (Evidence("erreurs", "Erreurs", ("en marche",)),)
    assert server.closed.is_set()


def test_an_error_of_the_grader_in_the_last_step_is_kept_and_the_scope_still_closes(
    portable: tuple[CheckScope, Tracked],
) -> None:
    scope, server = portable

    def last_step() -> None:
        raise KeyError("bogue du correcteur")

    scope.finish_later(last_step, now=lambda: False)
    scope.close()
    late = scope.late_end()
    assert late is not None and isinstance(late.error, KeyError)
    assert server.closed.is_set()
