"""What confinement this machine gives student programs: `current()`, and the report line it makes."""

from __future__ import annotations

import functools
import sys

from grader.confinement.launch import DISABLE_VARIABLE, LaunchError, applied, disabled, probe
from grader.confinement.model import Confinement

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
        return probe()
    except (LaunchError, OSError):
        return ()


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
