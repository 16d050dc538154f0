"""The kit's own test session: no test may leave a process running; the fixtures several test files
share (helpers they share are in tests/grading.py, tests/programs.py and tests/html_check.py).

This session is a child subreaper (Linux): a process that leaves its parent (a student's program that
calls setsid and double-forks, or a grader killed under its students) comes back under it, so that every
process a test started stays in its tree, whatever that process did to its environment or its name.
After each test, that tree must be empty. Linux only: elsewhere nothing is listed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from grader.confinement.launch import adopt_orphans
from grader.harness import procfs
from grader.harness.process import kill_surviving_processes, surviving_processes
from grader.harness.workspace import Workspace
from grader.interruption import let_children_be_interrupted
from tests.grading import SOLUTION

adopt_orphans()
# Started from a background job or nohup, pytest ignores Ctrl-C: the programs the tests start (the
# starters, the reference, the grader) must not inherit that, the tests press Ctrl-C on them.
let_children_be_interrupted()


def _reap_adopted_zombies() -> None:
    """Orphans that ended under this session are its children now: reap them."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _descendants() -> list[int]:
    return sorted(procfs.descendants(os.getpid()) - {os.getpid()}) if procfs.available() else []


@pytest.fixture(autouse=True)
def no_process_left():
    yield
    if procfs.available():  # an orphan that ended a moment ago is a zombie of this session: not a survivor
        _reap_adopted_zombies()
    left = _descendants()
    if left:
        students = surviving_processes()
        kill_surviving_processes()
        procfs.kill_until_none(lambda: set(_descendants()), left, 5)
        pytest.fail(f"processus encore vivants après le test : {left} (dont programmes d'élève : {students})")


@pytest.fixture(scope="module")
def reference() -> Iterator[Workspace]:
    """A copy of the reference solution (solution/), for the tests that drive it."""
    with Workspace(SOLUTION) as workspace:
        yield workspace
