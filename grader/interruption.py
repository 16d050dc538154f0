"""Ctrl-C for the programs the grader starts, even when the grader itself was started deaf to it.

A shell starts a background job (`cmd &`, `nohup cmd &` in a script) with SIGINT ignored, and an ignored
signal stays ignored across fork and exec: the students' programs would never see Ctrl-C (Python only
turns SIGINT into KeyboardInterrupt when it finds it at its default), and a check or a test that presses
Ctrl-C on them would wait in vain. A signal that has a handler, on the contrary, is reset to its default
at exec. So where SIGINT is ignored, the grader gives it a handler that does nothing: the grader itself
still ignores Ctrl-C, as whoever started it asked, and every program it starts finds SIGINT at its
default. Unlike a `preexec_fn` on each Popen, this is safe with threads and keeps the fast spawn paths.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType


def let_children_be_interrupted() -> None:
    """Call once at the start of a program that starts others (POSIX; elsewhere nothing to do)."""
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a handler
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, _still_ignored)


def _still_ignored(signum: int, frame: FrameType | None) -> None:
    """SIGINT was ignored when this program started: it still is."""
