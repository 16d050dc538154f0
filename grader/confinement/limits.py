"""Resource ceilings of a student program (rlimits). Stdlib only: the launcher imports it.

The memory ceiling is on the data segment (RLIMIT_DATA: heap and private mappings, thread stacks
included), not on the address space: with threads capped at THREAD_STACK_BYTES and MALLOC_ARENA_MAX=2
(set in the environment), a correct server with 200 clients, one thread each, stays well under it
(measured: see docs/guide-enseignant.md §14)."""

from __future__ import annotations

import threading
from types import ModuleType

resource: ModuleType | None
try:
    import resource
except ImportError:  # Windows: the Job Object carries the limits
    resource = None

MEMORY_BYTES = 1024 * 1024 * 1024
THREAD_STACK_BYTES = 2 * 1024 * 1024
FILE_BYTES = 64 * 1024 * 1024  # any one file it writes
PROCESSES = 512  # threads included (Linux counts them); only in a user namespace of an ordinary user


def apply(*, limit_processes: bool, processes: int = PROCESSES) -> list[str]:
    """Set the ceilings on this process (inherited by what it starts); French names of what was set.
    `processes`: the task ceiling, PROCESSES for a grading (the load tool gives its server more)."""
    threading.stack_size(THREAD_STACK_BYTES)
    if resource is None:
        return []
    applied = []
    for name, value, label in (
        ("RLIMIT_CORE", 0, None),
        ("RLIMIT_FSIZE", FILE_BYTES, f"fichiers ≤ {FILE_BYTES // 2**20} Mo"),
        ("RLIMIT_DATA", MEMORY_BYTES, f"mémoire ≤ {MEMORY_BYTES // 2**20} Mo"),
        ("RLIMIT_NPROC", processes if limit_processes else None, f"≤ {processes} processus et fils"),
    ):
        number = getattr(resource, name, None)
        if number is None or value is None:
            continue
        try:
            _lower(resource, number, value)
        except (OSError, ValueError):
            continue
        if label:
            applied.append(label)
    return applied


def _lower(rlimits: ModuleType, number: int, value: int) -> None:
    _, hard = rlimits.getrlimit(number)
    if hard != rlimits.RLIM_INFINITY:
        value = min(value, hard)
    rlimits.setrlimit(number, (value, value))
