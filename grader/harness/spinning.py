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
from pathlib import Path

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


def _runnable(pids: set[int]) -> bool:
    """One thread of these processes is running or ready to run."""
    for pid in pids:
        try:
            tasks = list((Path("/proc") / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                _, _, rest = (task / "stat").read_bytes().decode("ascii", "replace").rpartition(")")
            except OSError:
                continue
            fields = rest.split()
            if fields and fields[0] == "R":
                return True
    return False


def spinning(process: StudentProcess) -> Spin | None:
    """Look at the program for up to WINDOW: a Spin if it kept a thread busy all along, None if it waits
    (told in CALM_LOOKS looks for a program that waits), has ended, or the system cannot tell."""
    if not procfs.available() or process.poll() is not None:
        return None
    usage = process.resource_usage()
    if usage is None:
        return None
    started, looks, busy, calm = time.monotonic(), 0, 0, 0

    def look() -> bool:
        """True once the verdict is known (calm, ended, or the window is over)."""
        nonlocal looks, busy, calm
        runnable = _runnable(process.tree_pids())
        looks, busy = looks + 1, busy + runnable
        calm = 0 if runnable else calm + 1
        return calm >= CALM_LOOKS or process.poll() is not None or time.monotonic() - started >= WINDOW

    wait_probing(look, WINDOW + LOOK, [process], LOOK)
    now = process.resource_usage()
    elapsed = time.monotonic() - started
    if calm >= CALM_LOOKS or now is None or process.poll() is not None or busy < BUSY_SHARE * looks:
        return None
    share = (now[0] - usage[0]) / max(elapsed, 1e-3)
    return Spin(share, elapsed) if share >= MIN_CPU_SHARE else None
