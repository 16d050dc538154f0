"""The kit's own test session: no test may leave a process running; the fixtures several test files
share (helpers they share are in tests/grading.py, tests/programs.py and tests/html_check.py).

This session is a child subreaper (Linux): a process that leaves its parent (a student's program that
calls setsid and double-forks, or a grader killed under its students) comes back under it, so that every
process a test started stays in its tree, whatever that process did to its environment or its name.
After each test, that tree must be empty. Linux only: elsewhere nothing is listed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.confinement.launch import adopt_orphans
from grader.harness import procfs
from grader.harness.process import kill_surviving_processes, surviving_processes
from grader.harness.workspace import Workspace
from grader.interruption import let_children_be_interrupted
from tests.grading import SOLUTION
from tests.programs import left_in_this_session

adopt_orphans()
# Started from a background job or nohup, pytest ignores Ctrl-C: the programs the tests start (the
# starters, the reference, the grader) must not inherit that, the tests press Ctrl-C on them.
let_children_be_interrupted()


@pytest.fixture(autouse=True)
def no_process_left():
    yield
    left = left_in_this_session()
    if left:
        students = surviving_processes()
        kill_surviving_processes()
        procfs.kill_until_none(lambda: set(left_in_this_session()), left, 5)
        pytest.fail(f"processus encore vivants après le test : {left} (dont programmes d'élève : {students})")


@pytest.fixture(scope="module")
def reference() -> Iterator[Workspace]:
    """A copy of the reference solution (solution/), for the tests that drive it."""
    with Workspace(SOLUTION) as workspace:
        yield workspace
