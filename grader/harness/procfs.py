"""Linux /proc reading: processes carrying a run token, their sockets, their CPU and memory.

Every function is harmless elsewhere: `available()` is False and the others return empty results.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

PROC = Path("/proc")
LISTEN_STATE = "0A"


def available() -> bool:
    return sys.platform.startswith("linux") and PROC.is_dir()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # gone, or not ours to read
        return b""


def _all_pids() -> list[int]:
    if not available():
        return []
    try:
        return [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return []


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, ...]; [] if gone."""
    _, _, rest = _read(PROC / str(pid) / "stat").decode("ascii", "replace").rpartition(")")
    return rest.split()


def _alive(fields: list[str]) -> bool:
    return bool(fields) and fields[0] not in ("Z", "X")


def _carries(pid: int, variable: str, value: str | None, prefix: str | None) -> bool:
    name = f"{variable}=".encode()
    for entry in _read(PROC / str(pid) / "environ").split(b"\0"):
        if not entry.startswith(name):
            continue
        found = entry[len(name) :].decode("utf-8", "replace")
        if (value is None or found == value) and (prefix is None or found.startswith(prefix)):
            return True
    return False


def marked(variable: str, value: str | None = None, *, prefix: str | None = None) -> set[int]:
    """Live processes (not this one) whose environment holds variable=value (any value if None;
    any value starting with prefix if given)."""
    return {
        pid
        for pid in _all_pids()
        if pid != os.getpid() and _carries(pid, variable, value, prefix) and _alive(_stat_fields(pid))
    }


def descendants(root: int) -> set[int]:
    """Live processes whose parent chain leads to root (root included if alive)."""
    children: dict[int, list[int]] = {}
    alive: set[int] = set()
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if _alive(fields):
            alive.add(pid)
            children.setdefault(int(fields[1]), []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in alive:
            found.add(pid)
        todo.extend(children.get(pid, ()))
    return found


def kill_until_none(candidates: Callable[[], set[int]], first: Iterable[int], timeout: float) -> None:
    """SIGKILL `first`, then whatever candidates() finds that was not killed yet, until it finds
    nothing new (catches children forked meanwhile); then wait (pidfd, no clock) until they are gone."""
    killed: dict[int, int | None] = {}
    todo = set(first)
    while todo:
        for pid in todo:
            killed[pid] = _kill(pid)
        todo = candidates() - killed.keys()
    _wait_gone([fd for fd in killed.values() if fd is not None], timeout)


def _kill(pid: int) -> int | None:
    """Send SIGKILL; return a pidfd to wait on, when the system has them."""
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    try:
        if pidfd is not None and hasattr(signal, "pidfd_send_signal"):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    return pidfd


def _wait_gone(pidfds: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(pidfds)
    try:
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select(pending, [], [], remaining)
            pending = [fd for fd in pending if fd not in ready]
    finally:
        for fd in pidfds:
            os.close(fd)


def listening_ports(pids: Iterable[int]) -> list[int]:
    """TCP ports (IPv4 and IPv6) on which these processes hold a listening socket."""
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = PROC / str(pid) / "fd"
        try:
            names = os.listdir(fd_dir)
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(fd_dir / name)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        for row in _read(PROC / "net" / table).decode("ascii", "replace").splitlines()[1:]:
            fields = row.split()
            if len(fields) > 9 and fields[3] == LISTEN_STATE and fields[9] in inodes:
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return sorted(ports)


def usage(pids: Iterable[int]) -> tuple[float, int]:
    """(CPU seconds, sum of peak resident sizes in bytes) of these processes and their reaped children."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    cpu = 0.0
    peak = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if len(fields) > 14:
            cpu += sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
        for line in _read(PROC / str(pid) / "status").decode("ascii", "replace").splitlines():
            if line.startswith("VmHWM:"):
                peak += int(line.split()[1]) * 1024
    return cpu, peak
