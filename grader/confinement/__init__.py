"""Confinement of every student program: the launcher, and what it gives on this machine.

Every program of a student (server, client, anything the grader runs of theirs) is started with
`launch.start(...)`, which runs `launcher.py` (never the student's script directly). Just before the
student's code runs, in the student's own process, the launcher applies what the system offers:

- Linux: new user + PID + mount namespaces (a private /proc: the grader is out of sight; killing the
  namespace's PID 1 ends everything the student started, whatever it did: setsid, double fork, empty
  environment), rlimits (memory, file size, core, processes), no_new_privs, Landlock (writes only in the
  run's folder, TCP connections only to the check's port, signals and abstract sockets scoped), no
  capability left. The grader is a child subreaper: no orphan leaves its tree.
- macOS: a sandbox-exec profile (`macos.profile`) and the rlimits.
- Windows: a Job Object (`windows.join_job`): memory, number of processes, all killed with the program.
- Everywhere: a minimal environment (`environment.minimal`), stdin/stdout/stderr that are the grader's
  pipes, never the teacher's terminal.

`current()` says what this machine gives (a probe run of the launcher, once per process); its `line()`
is the « Isolation : … » line of the report, its `to_dict()` the "isolation" object of the JSON.

A grader hook run in the student's interpreter before the student's code (e.g. `faulthandler.register`
for a stack dump on a signal): pass its file to `launch.start(..., hooks=(path,))`. The launcher runs
each hook with `runpy.run_path` in the student's process after the namespaces and rlimits, just before
Landlock and the student's code (so the hook may still open the files it needs).

`GRADER_CONFINEMENT=non` in the grader's environment turns the launcher off (bench and tests compare
with and without); a student's program cannot set the grader's environment.
"""

from __future__ import annotations

import functools
import sys

from grader.confinement.launch import (
    DISABLE_VARIABLE,
    Launched,
    LaunchError,
    applied,
    disabled,
    probe,
    start,
)
from grader.confinement.model import Confinement

__all__ = ["DISABLE_VARIABLE", "Confinement", "LaunchError", "Launched", "current", "start"]

# What makes the confinement hold on each system (see Confinement.confined).
_WRITES_LIMITED = ("Landlock", "sandbox-exec")
_CLEANUP_UNDEFEATABLE = ("espaces de noms",)


def current() -> Confinement:
    """The confinement student programs get in this process: what the first program launched got, or
    else what a probe run of the launcher gets (once)."""
    if disabled():
        return Confinement(False, (), (f"confinement désactivé ({DISABLE_VARIABLE}=non)",))
    return assess(applied[0] if applied else _probed(), sys.platform)


@functools.cache
def _probed() -> tuple[str, ...]:
    try:
        launched = probe()
        launched.exit_code()
    except (LaunchError, OSError):
        return ()
    return tuple(launched.layers)


def assess(layers: tuple[str, ...], platform: str) -> Confinement:
    """Whether `layers` confine a program: writes restricted and a cleanup the student cannot defeat.
    The missing parts are named, for the report and the teacher."""
    writes = any(layer.startswith(_WRITES_LIMITED) for layer in layers)
    cleanup = any(layer.startswith(_CLEANUP_UNDEFEATABLE) for layer in layers)
    missing = []
    if not writes:
        missing.append("écritures non limitées (" + _WRITES_HINT.get(_family(platform), "") + ")")
    if not cleanup:
        hint = _CLEANUP_HINT.get(_family(platform), "")
        missing.append(f"processus lancés par l'élève arrêtés sans garantie ({hint})")
    return Confinement(writes and cleanup, layers, tuple(missing))


def _family(platform: str) -> str:
    return "linux" if platform.startswith("linux") else platform


_WRITES_HINT = {
    "linux": "noyau sans Landlock",
    "darwin": "sandbox-exec absent",
    "win32": "Windows n'en offre pas",
}
_CLEANUP_HINT = {
    "linux": "espaces de noms utilisateur refusés par le système",
    "darwin": "macOS n'a pas d'espaces de noms",
    "win32": "le Job Object ne retient que les processus qui restent dans le job",
}
