"""A grader started with Ctrl-C ignored (a background job, nohup) still ignores it, and the programs it
starts do not: they get Python's KeyboardInterrupt."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.grading import ROOT

# Started with SIGINT ignored, as a shell starts a background job; prints what its child finds, then
# presses Ctrl-C on itself and says it is still there.
PARENT = """
import os, signal, subprocess, sys
from grader.interruption import let_children_be_interrupted
let_children_be_interrupted()
child = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True).stdout.strip())
os.kill(os.getpid(), signal.SIGINT)
print("toujours là")
"""


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.skipif(sys.platform == "win32", reason="no inherited signal dispositions on Windows")
def test_children_get_ctrl_c_back_and_the_parent_still_ignores_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PARENT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_ignore_sigint,
    )
    assert done.stdout.split() == ["True", "toujours", "là"], done.stdout + done.stderr
    assert done.returncode == 0
