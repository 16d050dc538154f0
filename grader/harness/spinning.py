"""A program burning the processor while it should wait: a loop spinning on recv() == b"" (Linux).

Looked at in a quiet moment of a scenario (after a departure, once the messages have arrived), when a
program has nothing to do until someone acts. A thread that computes or spins shows as runnable ("R"
in /proc/<pid>/task/<tid>/stat) at nearly every look, even on a loaded machine where it gets little
processor time; a thread waiting for input, a timer or a lock does not. The verdict also wants the
processor time to have moved. Elsewhere nothing is judged (None).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import procfs, timing
from .process import StudentProcess
from .waiting import wait_probing

WINDOW = 0.5  # s: the longest look at a program that does not rest
LOOK = timing.ALIVE_PROBE
CALM_LOOKS = 2  # in a row with no runnable thread: the program waits, not spinning
BUSY_SHARE = 0.6  # of the looks with a runnable thread, for a verdict of spinning
MIN_CPU_SHARE = 0.05  # and processor time over the window (a runnable thread that never runs is not spinning)
SPIN_HINT = (
    'Quand recv() renvoie b"" (ou readline() renvoie ""), le client est parti : ce n\'est pas un message '
    'vide, et chaque nouvel appel renverra aussitôt b"" ; une boucle qui continue tourne alors à vide et '
    "occupe le processeur. Testez if not donnees: break, puis retirez le client de la liste, fermez sa "
    "connexion et annoncez son départ."
)


@dataclass(frozen=True)
class Spin:
    """What the looks found: the share of one processor the program used while it should have waited."""

    cpu_share: float
    seconds: float

    def french(self) -> str:
        percent = round(self.cpu_share * 100)
        return f"{percent} % d'un processeur pendant {str(round(self.seconds, 1)).replace('.', ',')} s"


class SpinWatch:
    """spinning(), one look per call: it can ride along another wait (for a departure line, say) and end it
    as soon as the program is proven spinning. The looks since the last calm moment count: CALM_LOOKS in a
    row with no runnable thread start the window again."""

    def __init__(self, process: StudentProcess) -> None:
        self.process = process
        self.spin: Spin | None = None  # the verdict, once proven
        self.calm = 0  # looks in a row with no runnable thread
        self._restart()

    def _restart(self) -> None:
        self._usage = self.process.resource_usage() if procfs.available() else None
        self._started, self._looks, self._busy = time.monotonic(), 0, 0

    def __call__(self) -> bool:
        """Look once; True once the program has kept a thread busy for a whole WINDOW."""
        if self.spin is not None:
            return True
        if self._usage is None or self.process.poll() is not None:
            return False
        runnable = "R" in procfs.thread_states(self.process.tree_pids())
        self._looks, self._busy = self._looks + 1, self._busy + runnable
        self.calm = 0 if runnable else self.calm + 1
        if self.calm >= CALM_LOOKS:
            self._restart()
            return False
        elapsed = time.monotonic() - self._started
        if elapsed < WINDOW or self._busy < BUSY_SHARE * self._looks:
            return False
        now = self.process.resource_usage()
        share = (now[0] - self._usage[0]) / max(elapsed, 1e-3) if now is not None else 0.0
        self.spin = Spin(share, elapsed) if share >= MIN_CPU_SHARE else None
        return self.spin is not None


def spinning(process: StudentProcess) -> Spin | None:
    """Look at the program for up to WINDOW: a Spin if it kept a thread busy all along, None if it waits
    (told in CALM_LOOKS looks for a program that waits), has ended, or the system cannot tell (told at
    once: no look could change that answer)."""
    if not procfs.available():
        return None
    watch = SpinWatch(process)
    started = time.monotonic()
    wait_probing(
        lambda: watch() or watch.calm >= CALM_LOOKS or time.monotonic() - started >= WINDOW,
        WINDOW + LOOK,
        [process],
        LOOK,
    )
    return watch.spin
