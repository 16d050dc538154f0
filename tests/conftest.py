"""The kit's own test session: no test may leave a student process running; the fixtures several test
files share (helpers they share are in tests/grading.py, tests/programs.py and tests/html_check.py).

Every student process the grader starts carries a GRADER_RUN_TOKEN in its environment; this session
sets GRADER_RUN_FAMILY so that tokens are prefixed by it, and only this session's processes are looked
for (other grader runs on the same machine are left alone). Linux only: elsewhere nothing is listed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from grader.harness.process import FAMILY_VARIABLE, kill_surviving_processes, surviving_processes
from grader.harness.workspace import Workspace
from grader.interruption import let_children_be_interrupted
from tests.grading import SOLUTION

os.environ[FAMILY_VARIABLE] = f"tests-{uuid.uuid4().hex[:12]}"
# Started from a background job or nohup, pytest ignores Ctrl-C: the programs the tests start (the
# starters, the reference, the grader) must not inherit that, the tests press Ctrl-C on them.
let_children_be_interrupted()


@pytest.fixture(autouse=True)
def no_student_process_left():
    yield
    left = surviving_processes()
    if left:
        kill_surviving_processes()
        pytest.fail(f"processus d'élève encore vivants après le test : {left}")


@pytest.fixture(scope="module")
def reference() -> Iterator[Workspace]:
    """A copy of the reference solution (solution/), for the tests that drive it."""
    with Workspace(SOLUTION) as workspace:
        yield workspace
