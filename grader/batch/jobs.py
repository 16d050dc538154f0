"""How many submissions of a class are graded at a time by default (`--jobs`)."""

from __future__ import annotations

import os

from grader.harness import procfs

# Without /proc (Windows, macOS) a grading mostly waits for its deadlines: a class of 30 on 2 cores took
# 259 s at --jobs 2, 171 s at 3 and 134 s at 4, with the same verdicts (docs/performances.md, 2 December).
WAITING_GRADINGS_PER_CORE = 2


def default_jobs() -> int:
    """One grading per core where /proc shows when a program rests (a grading is then mostly computing);
    WAITING_GRADINGS_PER_CORE per core without it."""
    cores = os.cpu_count() or 1
    return cores if procfs.available() else WAITING_GRADINGS_PER_CORE * cores
