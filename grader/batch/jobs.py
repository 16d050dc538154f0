"""How many submissions of a class are graded at a time by default (`--jobs`)."""

from __future__ import annotations

import os

from grader.harness import procfs

# Without /proc (Windows, macOS) a grading mostly waits for its deadlines: a class of 30 on 2 cores took
# 126 s at --jobs 4, 86 s at 6 and 69 s at 8 (both cores then full), the same verdicts but for the two
# servers that race on their own (docs/performances.md, 2 December, morning). Three per core, not four:
# where this default applies, starting a program costs more than on Linux, and the cores fill sooner.
WAITING_GRADINGS_PER_CORE = 3


def default_jobs() -> int:
    """One grading per core where /proc shows when a program rests (a grading is then mostly computing);
    WAITING_GRADINGS_PER_CORE per core without it."""
    cores = os.cpu_count() or 1
    return cores if procfs.available() else WAITING_GRADINGS_PER_CORE * cores
