"""Linux /proc reading: processes carrying a run token, their sockets, what they wait for, their CPU and memory.

Every function is harmless elsewhere: `available()` is False and the others return empty results.
"""

from __future__ import annotations

import os
import platform
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

PROC = Path("/proc")
LISTEN_STATE = "0A"
# The number of the read() system call, by machine (/proc/<pid>/syscall shows it, then its arguments).
_READ_SYSCALLS = {
    "x86_64": 0, "amd64": 0, "aarch64": 63, "arm64": 63, "riscv64": 63, "loongarch64": 63,
    "i386": 3, "i686": 3, "armv7l": 3, "armv6l": 3, "ppc64le": 3, "ppc64": 3, "s390x": 3,
}

# accept, accept4, select, pselect6, poll, ppoll, epoll_wait, epoll_pwait, epoll_pwait2, by machine: where
# the main thread of a server loop rests while it waits for clients or data.
_X86_64_WAITS = frozenset({43, 288, 23, 270, 7, 271, 232, 281, 441})
_ARM64_WAITS = frozenset({202, 242, 72, 73, 22, 441})
_SERVER_WAIT_SYSCALLS = {"x86_64": _X86_64_WAITS, "amd64": _X86_64_WAITS, "aarch64": _ARM64_WAITS, "arm64": _ARM64_WAITS}


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


def running(pid: int) -> bool:
    """True when the process's main thread is running or ready to run ("R"), not waiting for anything."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] == "R"


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


def family(root: int) -> set[int]:
    """root and its live descendants, read from the kernel's list of each thread's children (cheap
    enough to look at often); descendants() where the kernel keeps no such list."""
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        tasks = PROC / str(pid) / "task"
        try:
            threads = os.listdir(tasks)
        except OSError:
            continue
        if not _alive(_stat_fields(pid)):
            continue  # a zombie: nothing left to run
        found.add(pid)
        for thread in threads:
            children = tasks / thread / "children"
            if not children.exists():
                return descendants(root)
            todo.extend(int(child) for child in _read(children).split())
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


def _socket_inodes(pids: Iterable[int]) -> set[str]:
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
    return inodes


def _tcp_fields() -> list[list[str]]:
    """The fields of each row of the machine's TCP tables (IPv4 and IPv6)."""
    rows = []
    for table in ("tcp", "tcp6"):
        for row in _read(PROC / "net" / table).decode("ascii", "replace").splitlines()[1:]:
            fields = row.split()
            if len(fields) > 9:
                rows.append(fields)
    return rows


def _ports(fields: list[str]) -> tuple[int, int]:
    local, remote = (int(address.rpartition(":")[2], 16) for address in fields[1:3])
    return local, remote


def _tcp_table() -> list[tuple[int, int, str, str]]:
    """(local port, remote port, state, inode) of every TCP socket of the machine."""
    return [(*_ports(fields), fields[3], fields[9]) for fields in _tcp_fields()]


def _tcp_rows() -> list[tuple[int, int, str, int, int]]:
    """(local port, remote port, state, bytes sent and not acknowledged, bytes received and not read) of
    every TCP socket of the machine."""
    rows = []
    for fields in _tcp_fields():
        sent, _, unread = fields[4].partition(":")
        rows.append((*_ports(fields), fields[3], int(sent, 16), int(unread, 16)))
    return rows


def _tcp_sockets(pids: Iterable[int]) -> list[tuple[int, int, str]]:
    """(local port, remote port, state) of the TCP sockets these processes hold."""
    inodes = _socket_inodes(pids)
    if not inodes:
        return []
    return [(local, remote, state) for local, remote, state, inode in _tcp_table() if inode in inodes]


def listening_ports(pids: Iterable[int]) -> list[int]:
    """TCP ports (IPv4 and IPv6) on which these processes hold a listening socket."""
    return sorted({local for local, _, state in _tcp_sockets(pids) if state == LISTEN_STATE})


def listener_is_among(port: int, pids: Iterable[int]) -> bool | None:
    """Whether the socket listening on this TCP port belongs to these processes; None when no socket
    listens on it as far as /proc tells."""
    listeners = {inode for local, _, state, inode in _tcp_table() if local == port and state == LISTEN_STATE}
    return bool(listeners & _socket_inodes(pids)) if listeners else None


def remote_ports(pids: Iterable[int]) -> list[int]:
    """TCP ports these processes are connected (or connecting) to."""
    return sorted({remote for _, remote, state in _tcp_sockets(pids) if state != LISTEN_STATE and remote})


def _syscall(path: Path) -> list[str]:
    """A thread's /proc .../syscall split: [number, arguments...], ["running"], or [] if unreadable."""
    return _read(path / "syscall").decode("ascii", "replace").split()


def _main_thread_syscall(pid: int) -> list[str]:
    return _syscall(PROC / str(pid))


def waiting_for_clients(pid: int) -> bool:
    """True when the main thread of `pid` is blocked in accept(), select(), poll() or epoll_wait(): a
    server loop at rest, not a program on its way out. False when unknown or unreadable."""
    numbers = _SERVER_WAIT_SYSCALLS.get(platform.machine().lower(), frozenset())
    fields = _main_thread_syscall(pid)
    return bool(fields) and fields[0].isdigit() and int(fields[0]) in numbers


def _reads(fields: list[str], fd: int) -> bool:
    """The syscall fields show a read(fd). Known system call numbers only (x86-64, ARM, RISC-V...)."""
    number = _READ_SYSCALLS.get(platform.machine().lower())
    if number is None or len(fields) < 2 or not fields[0].isdigit():
        return False  # "running", or not ours to read
    try:
        return int(fields[0]) == number and int(fields[1], 16) == fd
    except ValueError:
        return False


def blocked_reading(pid: int, fd: int) -> bool:
    """True when the main thread of `pid` is blocked in read(fd) (e.g. input() on stdin, fd 0); False when
    unknown or unreadable."""
    return _reads(_main_thread_syscall(pid), fd)


def _thread_syscalls(pid: int) -> list[list[str]]:
    """The syscall fields of each thread of `pid`, its main thread first; [] when unknown or gone."""
    tasks = PROC / str(pid) / "task"
    try:
        threads = sorted(os.listdir(tasks), key=lambda name: name != str(pid)) if available() else []
    except OSError:
        return []
    return [_syscall(tasks / thread) for thread in threads]


def thread_reading(pid: int, fd: int) -> bool | None:
    """Whether one of the threads of `pid` is blocked in read(fd); None when unknown or unreadable."""
    threads = _thread_syscalls(pid) if platform.machine().lower() in _READ_SYSCALLS else []
    return any(_reads(fields, fd) for fields in threads) if threads else None


# futex (a thread waiting for a lock, or for another thread) and recvfrom, by machine.
_FUTEX_SYSCALLS = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98, "riscv64": 98, "loongarch64": 98}
_RECVFROM_SYSCALLS = {"x86_64": 45, "amd64": 45, "aarch64": 207, "arm64": 207, "riscv64": 207, "loongarch64": 207}


def waiting_for_a_thread_that_reads(pid: int) -> bool:
    """True when the main thread of `pid` waits for another thread without a deadline (futex with no
    timeout: a join(), or the interpreter's exit waiting for a non-daemon thread) while every other
    thread is blocked reading (read, recvfrom): nothing moves until data comes. False when unknown."""
    machine = platform.machine().lower()
    futex = _FUTEX_SYSCALLS.get(machine)
    threads = _thread_syscalls(pid) if futex else []
    if len(threads) < 2:
        return False
    main, others = threads[0], threads[1:]
    if len(main) < 5 or main[0] != str(futex) or main[4] != "0x0":
        return False
    reading = {str(_RECVFROM_SYSCALLS.get(machine)), str(_READ_SYSCALLS.get(machine))}
    return all(fields and fields[0] in reading for fields in others)


def at_rest(pid: int) -> bool | None:
    """Whether every thread of `pid` is blocked in a system call: none is running Python code (a thread
    on its way out, printing its traceback, is). None when unknown."""
    threads = _thread_syscalls(pid)
    return all(fields and fields[0].isdigit() for fields in threads) if threads else None


# System calls that wait for something from outside the program with no deadline, by machine: number ->
# (index of the argument that bounds the wait, kind). "pointer": no deadline when it is NULL; "int": when it
# is negative; None: the call has no deadline at all. futex also needs a WAIT operation (argument 1).
_X86_64_IDLE = {0: None, 45: None, 47: None, 43: None, 288: None, 23: (4, "pointer"), 270: (4, "pointer"),
                7: (2, "int"), 271: (2, "pointer"), 232: (3, "int"), 281: (3, "int"), 441: (3, "pointer"),
                202: (3, "pointer")}
_ARM64_IDLE = {63: None, 207: None, 212: None, 202: None, 242: None, 72: (4, "pointer"), 73: (2, "pointer"),
               22: (3, "int"), 441: (3, "pointer"), 98: (3, "pointer")}
_IDLE_SYSCALLS = {"x86_64": _X86_64_IDLE, "amd64": _X86_64_IDLE, "aarch64": _ARM64_IDLE, "arm64": _ARM64_IDLE}
_FUTEX_WAITS = {0, 9}  # FUTEX_WAIT, FUTEX_WAIT_BITSET (flags masked off)


def _idle_thread(fields: list[str], table: dict[int, tuple[int, str] | None]) -> bool:
    """The syscall fields show a wait, with no deadline, for something from outside the program."""
    if len(fields) < 7 or not fields[0].isdigit() or int(fields[0]) not in table:
        return False  # "running", blocked outside a system call, or in one that ends by itself
    number, arguments = int(fields[0]), [int(value, 16) for value in fields[1:7]]
    if number == _FUTEX_SYSCALLS.get(platform.machine().lower()) and arguments[1] & 0x7F not in _FUTEX_WAITS:
        return False
    bound = table[number]
    if bound is None:
        return True
    index, kind = bound
    return arguments[index] == 0 if kind == "pointer" else bool(arguments[index] & 0x8000_0000)


def idle(pids: Iterable[int]) -> bool | None:
    """Whether every thread of these processes waits, with no deadline, for input, a connection or another
    thread (read, recv, accept, select/poll/epoll and futex without timeout): none runs, none sleeps on a
    clock, so nothing happens until something comes from outside. A thread that data has woken shows as
    running until it blocks again. None when unknown (not Linux, another machine, nothing readable)."""
    table = _IDLE_SYSCALLS.get(platform.machine().lower())
    threads = [fields for pid in pids for fields in _thread_syscalls(pid)] if table and available() else []
    return all(_idle_thread(fields, table) for fields in threads) if threads else None


def own_thread_waiting(native_id: int) -> bool | None:
    """Whether this thread of the grader itself is blocked waiting for data (read, recv, poll, select...,
    with or without a deadline, not for a lock): a reader thread waits there only once it has handled
    everything it read. None when unknown."""
    table = _IDLE_SYSCALLS.get(platform.machine().lower())
    fields = _syscall(PROC / "self" / "task" / str(native_id)) if table and available() else []
    if not fields:
        return None
    futex = _FUTEX_SYSCALLS.get(platform.machine().lower())
    return fields[0].isdigit() and int(fields[0]) in table and int(fields[0]) != futex


def tcp_quiet(port: int) -> bool:
    """No byte on its way over the TCP connections of this local port: every socket of the server's side
    has had what it sent acknowledged, and every socket connected to it has also had what it received
    read. An acknowledged byte is in its reader's queue, and a reader blocked on that socket was woken.
    (The table is read a page at a time: a row that sockets closing meanwhile made it miss is seen at the
    next look, and a rest is only believed at two looks in a row.) False when the table does not show the
    socket listening on this port: it cannot tell."""
    listening = False
    for local, remote, state, sent, unread in _tcp_rows():
        if local == port and state == LISTEN_STATE:
            listening = True
        elif local == port and sent:
            return False
        if remote == port and (sent or unread):
            return False
    return listening


def alone_reading(pid: int, fd: int) -> bool:
    """True when `pid` has one thread left and it is blocked in read(fd): a program with nothing else to
    do than wait for input (its other threads have ended). False when unknown or unreadable."""
    threads = _thread_syscalls(pid)
    return len(threads) == 1 and _reads(threads[0], fd)


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
