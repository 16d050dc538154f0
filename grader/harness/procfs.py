"""Linux /proc reading: processes carrying a run token, their sockets, what they wait for, their CPU and memory.

Every function is harmless elsewhere: `available()` is False and the others return empty results.
GRADER_SANS_PROC=1 in the environment makes them behave so on Linux too (the portable path, as on
Windows and macOS: every wait keeps its full deadline), for the tests and `bench/`.
What a thread waits for is only read here; what it means (a program at rest) is grader/harness/rest.py.
"""

from __future__ import annotations

import functools
import os
import platform
import select
import signal
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import NamedTuple

from . import sockdiag
from .exercise import HOST

PROC = "/proc"  # a string: paths are built at every look, and a Path costs more to build than a read
SWITCH_VARIABLE = "GRADER_SANS_PROC"
LISTEN_STATE = "0A"
HOOK_FD = 1000  # the descriptor the grader's stack hook waits on (harness/stack_hook.py moves its pipe there)


def readable_here() -> bool:
    """Whether this process reads /proc: Linux, and GRADER_SANS_PROC not set (in its environment now)."""
    return sys.platform.startswith("linux") and os.path.isdir(PROC) and not os.environ.get(SWITCH_VARIABLE)


# Looked at once, when the grader starts (the switch is set before it, for the tests and bench/): available()
# is asked at every read, about 15 000 a grading, and os.environ.get cost 6 % of the grader's processor
# (py-spy, 2 December). A test that sets the switch within one process sets this as well.
READABLE = readable_here()


def available() -> bool:
    return READABLE


def _read(path: str) -> bytes:
    """The whole file; b"" when gone or not ours to read. os.read, not Path.read_bytes: no buffered file
    object to build, a third of the time of a small /proc file (a look reads four per thread)."""
    if not available():
        return b""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:  # gone meanwhile
        return b""
    finally:
        os.close(fd)
    return b"".join(chunks)


def _all_pids() -> list[int]:
    if not available():
        return []
    try:
        return [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return []


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, ...]; [] if gone."""
    _, _, rest = _read(f"{PROC}/{pid}/stat").decode("ascii", "replace").rpartition(")")
    return rest.split()


def running(pid: int) -> bool:
    """True when the process's main thread is running or ready to run ("R"), not waiting for anything."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] == "R"


def thread_states(pids: Iterable[int]) -> list[str]:
    """The state letter of each thread of these processes ("R", "S", "D", "T"...); [] when unknown."""
    fields = [_stat_fields(int(thread)) for pid in pids for thread in _thread_names(pid) or []]
    return [thread[0] for thread in fields if thread]


def asleep(pids: Iterable[int]) -> bool | None:
    """Whether no thread of these processes can run: each one is blocked ("S" or "D"), whatever it waits
    for and whether or not its wait has a deadline. None when /proc cannot tell."""
    states = thread_states(pids)
    return all(state in ("S", "D") for state in states) if states else None


def stopped(pids: Iterable[int]) -> bool:
    """Whether every thread of these processes is stopped by a signal ("T"); False when unknown."""
    states = [state for state in thread_states(pids) if state not in ("Z", "X")]
    return bool(states) and all(state == "T" for state in states)


def _alive(fields: list[str]) -> bool:
    return bool(fields) and fields[0] not in ("Z", "X")


def _carries(pid: int, variable: str, value: str | None, prefix: str | None) -> bool:
    name = f"{variable}=".encode()
    for entry in _read(f"{PROC}/{pid}/environ").split(b"\0"):
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
        tasks = f"{PROC}/{pid}/task"
        try:
            threads = os.listdir(tasks)
        except OSError:
            continue
        if not _alive(_stat_fields(pid)):
            continue  # a zombie: nothing left to run
        found.add(pid)
        if not _children_listed():
            return descendants(root)
        for thread in threads:
            todo.extend(int(child) for child in _read(f"{tasks}/{thread}/children").split())
    return found


def namespace_pids(init: int) -> set[int] | None:
    """The processes of the PID namespace whose PID 1 is `init`, numbered as in it, from one listing of the
    /proc mounted in it (reached through init's root: the namespace's private /proc); None when unreadable."""
    try:
        return {int(name) for name in os.listdir(f"{PROC}/{init}/root/proc") if name.isdigit()} if available() else None
    except OSError:
        return None


@functools.cache
def _children_listed() -> bool:
    """Whether this kernel keeps the list of each thread's children (/proc/<pid>/task/<tid>/children)."""
    return os.path.exists(f"{PROC}/thread-self/children")


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
    """The inodes of the sockets these processes hold (those that ended hold none)."""
    return set().union(*(_sockets_of(pid) or set() for pid in pids))


def _sockets_of_all(pids: Iterable[int]) -> set[str] | None:
    """The inodes of the sockets these processes hold; None when there are none of them, or when the
    descriptors of one cannot be listed."""
    inodes: set[str] = set()
    listed = False
    for pid in pids:
        sockets = _sockets_of(pid)
        if sockets is None:
            return None
        inodes |= sockets
        listed = True
    return inodes if listed else None


def _sockets_of(pid: int) -> set[str] | None:
    """The inodes of the sockets this process holds; None when its descriptors cannot be listed."""
    fd_dir = f"{PROC}/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return None
    inodes = set()
    for name in names:
        try:
            target = os.readlink(f"{fd_dir}/{name}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


_TcpRow = sockdiag.Row


def _tcp_rows(port: int | None = None, *, listening: bool = False) -> list[_TcpRow]:
    """The TCP sockets (IPv4 and IPv6) of the machine, or only those whose local or remote port is `port`:
    then asked of the kernel (sock_diag: a few rows, TIME_WAIT left out), else read from /proc/net/tcp.
    `listening`: the caller looks only at listening sockets (the kernel then need not walk its connections)."""
    if not available():
        return []
    if port is not None:
        rows = sockdiag.tcp_rows(port, listening=listening)
        if rows is not None:
            return rows
    rows = []
    for table in ("tcp", "tcp6"):
        for row in _read(f"{PROC}/net/{table}").decode("ascii", "replace").splitlines()[1:]:
            fields = row.split()
            if len(fields) > 9:
                local, remote = (int(address.rpartition(":")[2], 16) for address in fields[1:3])
                sent, _, unread = fields[4].partition(":")
                rows.append(_TcpRow(local, remote, fields[3], int(sent, 16), int(unread, 16), fields[9]))
    return [row for row in rows if port in (None, row.local, row.remote)]


def _tcp_sockets(pids: Iterable[int]) -> list[_TcpRow]:
    """The TCP sockets these processes hold."""
    inodes = _socket_inodes(pids)
    return [row for row in _tcp_rows() if row.inode in inodes] if inodes else []


def listening_ports(pids: Iterable[int]) -> list[int]:
    """TCP ports (IPv4 and IPv6) on which these processes hold a listening socket."""
    return sorted({row.local for row in _tcp_sockets(pids) if row.state == LISTEN_STATE})


def listener_is_among(port: int, pids: Iterable[int]) -> bool | None:
    """Whether the socket listening on this TCP port belongs to these processes; None when no socket
    listens on it as far as /proc tells."""
    listeners = {
        row.inode for row in _tcp_rows(port, listening=True) if row.local == port and row.state == LISTEN_STATE
    }
    return bool(listeners & _socket_inodes(pids)) if listeners else None


def remote_ports(pids: Iterable[int]) -> list[int]:
    """TCP ports these processes are connected (or connecting) to."""
    return sorted({row.remote for row in _tcp_sockets(pids) if row.state != LISTEN_STATE and row.remote})


def _syscall(task: str) -> list[str]:
    """A thread's /proc .../syscall split (`task`: its folder): [number, arguments...], ["running"], or []
    if unreadable."""
    return _read(f"{task}/syscall").decode("ascii", "replace").split()


def _thread_names(pid: int) -> list[str] | None:
    """The threads of `pid` (/proc/<pid>/task), its main thread first; None when unknown or gone."""
    try:
        return sorted(os.listdir(f"{PROC}/{pid}/task"), key=lambda name: name != str(pid)) if available() else None
    except OSError:
        return None


def _syscalls_known() -> bool:
    """/proc can be read, and this machine's system call numbers are in the table below."""
    return platform.machine().lower() in _WAIT_SYSCALLS and available()


def _each_thread_syscall(pid: int) -> Iterator[list[str]]:
    """The syscall fields of each thread of `pid`, its main thread first (none when unknown or gone), read
    one thread at a time: a caller that has its answer stops reading (a server with a thread per client
    has hundreds). The thread of the grader's stack hook, waiting for a request on HOOK_FD, is not one of
    the program's."""
    for thread in _thread_names(pid) or []:
        fields = _syscall(f"{PROC}/{pid}/task/{thread}")
        wait = _unbounded_wait(fields)
        if wait is None or not wait.reads(HOOK_FD):
            yield fields


# System calls where a thread waits for something from outside it, by machine: number -> (what it waits for,
# the argument that bounds the wait). LOOP: a connection, or data on one of several files (accept, select,
# poll, epoll: where a server loop rests); DATA: data on one file (read, recv); THREAD: another thread
# (futex, with a WAIT operation in argument 1); CHILD: a child process or a signal (wait4, waitid, pause:
# subprocess.run(), a launcher; the child is looked at with its own threads). The bound: None, the call has
# no deadline; (index, "pointer"): none when that argument is NULL; (index, "int"): none when it is
# negative. A call missing from the table (sleep, connect, write...) is never a rest: the deadline applies.
LOOP, DATA, THREAD, CHILD = "loop", "data", "thread", "child"
_Bound = tuple[int, str] | None
_X86_64_WAITS: dict[int, tuple[str, _Bound]] = {
    0: (DATA, None),
    45: (DATA, None),
    47: (DATA, None),
    43: (LOOP, None),
    288: (LOOP, None),
    23: (LOOP, (4, "pointer")),
    270: (LOOP, (4, "pointer")),
    7: (LOOP, (2, "int")),
    271: (LOOP, (2, "pointer")),
    232: (LOOP, (3, "int")),
    281: (LOOP, (3, "int")),
    441: (LOOP, (3, "pointer")),
    202: (THREAD, (3, "pointer")),
    61: (CHILD, None),
    247: (CHILD, None),
    34: (CHILD, None),
    130: (CHILD, None),
    128: (CHILD, (2, "pointer")),
}
# The generic numbering of the kernel (arm64, RISC-V, LoongArch).
_GENERIC_WAITS: dict[int, tuple[str, _Bound]] = {
    63: (DATA, None),
    207: (DATA, None),
    212: (DATA, None),
    202: (LOOP, None),
    242: (LOOP, None),
    72: (LOOP, (4, "pointer")),
    73: (LOOP, (2, "pointer")),
    22: (LOOP, (3, "int")),
    441: (LOOP, (3, "pointer")),
    98: (THREAD, (3, "pointer")),
    260: (CHILD, None),
    95: (CHILD, None),
    133: (CHILD, None),
    137: (CHILD, (2, "pointer")),
}
_WAIT_SYSCALLS = {
    "x86_64": _X86_64_WAITS,
    "amd64": _X86_64_WAITS,
    "aarch64": _GENERIC_WAITS,
    "arm64": _GENERIC_WAITS,
    "riscv64": _GENERIC_WAITS,
    "loongarch64": _GENERIC_WAITS,
}
_FUTEX_WAITS = {0, 9}  # FUTEX_WAIT, FUTEX_WAIT_BITSET (flags masked off)


class Wait(NamedTuple):
    """What a thread blocked with no deadline waits for."""

    kind: str  # LOOP, DATA, THREAD or CHILD
    fd: int  # DATA: the file it reads; -1 for the other kinds

    def reads(self, fd: int) -> bool:
        return self.kind == DATA and self.fd == fd


def _wait_of(fields: list[str]) -> tuple[str, _Bound] | None:
    """What the syscall fields show a thread waiting for, and what bounds the wait; None when it is not
    blocked in one of those calls (or the machine is not known)."""
    table = _WAIT_SYSCALLS.get(platform.machine().lower(), {})
    return table.get(int(fields[0])) if fields and fields[0].isdigit() else None


def _unbounded_wait(fields: list[str]) -> Wait | None:
    """What the syscall fields show a thread waiting for with no deadline; None when it is "running",
    blocked outside a system call, in one that ends by itself, or in one whose deadline is set."""
    wait = _wait_of(fields)
    if wait is None or len(fields) < 7:
        return None
    kind, bound = wait
    arguments = [int(value, 16) for value in fields[1:7]]
    if kind == THREAD and arguments[1] & 0x7F not in _FUTEX_WAITS:
        return None
    if bound is not None:
        index, bound_kind = bound
        unbounded = arguments[index] == 0 if bound_kind == "pointer" else bool(arguments[index] & 0x8000_0000)
        if not unbounded:
            return None
    return Wait(kind, arguments[0] if kind == DATA else -1)


def _runs(task: str) -> bytes | None:
    """What changes whenever this thread gets the processor: its scheduling counters (/proc .../schedstat:
    time run, time waiting to run, times run), or else its counts of context switches (.../status, twice
    as long to read); None when unreadable."""
    if _schedstat_kept():
        return _read(f"{task}/schedstat") or None
    status = _read(f"{task}/status")
    start = status.rfind(b"\nvoluntary_ctxt_switches:")  # near the end: read at each look, not parsed whole
    words = status[start:].split()[:4] if start >= 0 else []
    if len(words) != 4 or words[2] != b"nonvoluntary_ctxt_switches:" or not (words[1] + words[3]).isdigit():
        return None
    return words[1] + b" " + words[3]


@functools.cache
def _schedstat_kept() -> bool:
    """Whether this kernel keeps each thread's scheduling counters (CONFIG_SCHED_INFO)."""
    return os.path.exists(f"{PROC}/thread-self/schedstat")


class Look:
    """What the threads of some processes wait for, proven to hold at ONE instant.

    /proc shows one thread at a time: read one after the other, a thread seen blocked may have been woken
    before the last one was read (a server's main thread seen in Thread.start(), waiting for the new
    thread, which is then seen blocked in recv() while the main thread is back in its loop with a
    deadline). So each thread is read twice: `add` reads its scheduling counters (_runs), then its system
    call; once every process is added, `confirmed` reads each one's system call, then its count, again.
    A thread with the same wait and the same count has not run in between: it stayed blocked (a woken
    thread shows as running until it has run, and it leaves the processor to block again). So at the
    instant between the two passes every thread was blocked as seen, and what the caller checked between
    them (`rest.stillness`'s `meanwhile`) held while they were."""

    def __init__(self) -> None:
        self._seen: list[tuple[str, bytes, list[str]]] = []  # (thread, _runs, syscall fields)
        self._threads: dict[int, list[str]] = {}  # pid -> its threads, as listed by `add`

    def add(self, pid: int) -> list[Wait] | None:
        """The first pass over the threads of `pid`: what each one waits for, its main thread first, when
        every one of them is blocked with no deadline (table above); None as soon as one is not (it runs,
        sleeps on a clock, waits with a deadline or in a call the table does not know), and when /proc
        cannot tell (gone, not Linux, a machine whose numbers are not known). The thread of the grader's
        stack hook, waiting for a request on HOOK_FD, is not one of the program's."""
        names = _thread_names(pid) if _syscalls_known() else None
        if names is None:
            return None
        threads = []
        for name in names:  # one at a time: the first busy thread ends the look
            task = f"{PROC}/{pid}/task/{name}"
            runs = _runs(task)
            fields = _syscall(task)
            wait = _unbounded_wait(fields)
            if wait is not None and wait.reads(HOOK_FD):
                continue
            if wait is None or runs is None:
                return None
            self._seen.append((task, runs, fields))
            threads.append(wait)
        self._threads[pid] = sorted(names)
        return threads or None

    def confirmed(self) -> bool:
        """The second pass: every process added has the same threads, and each thread seen still shows the
        same wait and has not run since `add` (same scheduling counters). False otherwise, and
        when nothing was added."""
        for pid, names in self._threads.items():
            try:
                if sorted(os.listdir(f"{PROC}/{pid}/task")) != names:
                    return False
            except OSError:
                return False
        return bool(self._seen) and all(
            _syscall(task) == fields and _runs(task) == runs for task, runs, fields in self._seen
        )


def waits(pid: int) -> list[Wait] | None:
    """What each thread of `pid` waits for, its main thread first, when every one of them is blocked with
    no deadline, all at one instant (Look); None as soon as one is not, and when /proc cannot tell. A
    thread that data has woken shows as running until it blocks again."""
    look = Look()
    threads = look.add(pid)
    return threads if threads is not None and look.confirmed() else None


def reading(pid: int, fd: int) -> bool | None:
    """Whether a thread of `pid` is blocked reading `fd` (read or recv: no deadline); None when /proc cannot
    tell."""
    threads = list(_each_thread_syscall(pid)) if _syscalls_known() else []
    if not threads:
        return None
    return any(wait is not None and wait.reads(fd) for wait in map(_unbounded_wait, threads))


def main_thread_wait(pid: int) -> str | None:
    """The kind of wait (LOOP, DATA, THREAD, CHILD) the main thread of `pid` is blocked in, WITH OR WITHOUT a
    deadline; None when it is not blocked in one of the table's calls, or when /proc cannot tell."""
    wait = _wait_of(_syscall(f"{PROC}/{pid}")) if _syscalls_known() else None
    return wait[0] if wait is not None else None


def own_thread_waiting(native_id: int | None) -> bool | None:
    """Whether this thread of the grader itself is blocked waiting for data (read, recv, poll, select...,
    with or without a deadline, not for a lock): a reader thread waits there only once it has handled
    everything it read. None when unknown (and for a thread not started: no native id)."""
    known = native_id is not None and _syscalls_known()
    fields = _syscall(f"{PROC}/self/task/{native_id}") if known else []
    if not fields:
        return None
    wait = _wait_of(fields)
    return wait is not None and wait[0] in (DATA, LOOP)


def tcp_quiet(
    port: int,
    opened_here: Mapping[int, bool] | None = None,
    known: Collection[tuple[int, int]] | None = None,
    holders: Iterable[int] = (),
) -> bool:
    """No byte on its way over the TCP connections of this local port: every socket of the server's side
    has had what it sent acknowledged, and every socket connected to it has also had what it received
    read. An acknowledged byte is in its reader's queue, and a reader blocked on that socket was woken.
    (The table is read a page at a time: a row that sockets closing meanwhile made it miss is seen at the
    next look, and a rest is only believed at two looks in a row.) False when the table does not show the
    socket listening on this port: it cannot tell.

    A byte not acknowledged yet may have reached its reader all the same: a kernel holds back its
    acknowledgement (up to 40 ms, a delayed ACK) on a connection it answers now and then. Where the table
    counts the bytes each end received (sock_diag) and the grader knows which end opened the connection
    (`opened_here`: the local ports of the grader's ends, True for those it connected, False for those it
    accepted), the bytes an end sent count as arrived once the other end received every one of them.

    `known` (the grader's ends of the connections of this port, each its local and remote port) and
    `holders` (the program's processes) let the kernel be asked for those connections alone
    (_known_rows) instead of walking its whole table."""
    rows = _known_rows(port, known, holders) if known is not None else None
    if rows is None:
        rows = _tcp_rows(port)
    ends = {(row.local, row.remote): row for row in rows}
    listening = False
    for row in rows:
        if row.local == port and row.state == LISTEN_STATE:
            listening = True
            continue
        if row.remote == port and row.unread:
            return False
        if row.sent and not _arrived(row, ends.get((row.remote, row.local)), opened_here or {}):
            return False
    return listening


def _known_rows(port: int, known: Collection[tuple[int, int]], holders: Iterable[int]) -> list[_TcpRow] | None:
    """What a dump of `port` would show, asked without one: the sockets listening on it, and both ends of
    each connection the grader holds on it (`known`). None when that may not be all: a process of
    `holders` holds a socket that is none of those and not a Unix socket (a connection of its own, on
    this port or elsewhere), its descriptors cannot be listed, or the kernel cannot be asked.
    tcp_quiet looks while every thread of the program is proven blocked: it opens and closes nothing
    meanwhile."""
    held = _sockets_of_all(holders) if available() else None
    if held is None:
        return None
    listening = sockdiag.tcp_rows(port, listening=True)
    both_ends = [end for local, remote in known for end in ((local, remote), (remote, local))]
    connected = sockdiag.connection_rows(both_ends, HOST)
    if listening is None or connected is None:
        return None
    rows = [row for row in listening if row.local == port] + connected
    others = held - {row.inode for row in rows}
    if others and sockdiag.unix_sockets(others) != others:  # a Unix socket carries no byte of the port
        return None
    return rows


def _arrived(row: _TcpRow, peer: _TcpRow | None, opened_here: Mapping[int, bool]) -> bool:
    """Every byte `row` sent (its FIN too) is in the queue of `peer`, its other end, acknowledged or not:
    what the peer received equals what the row's peer acknowledged, less the handshake when the kernel
    counts it, plus what waits for an acknowledgement. False when the table or the grader cannot tell."""
    counted = sockdiag.handshake_counted()
    if peer is None or row.acked is None or peer.received is None or counted is None:
        return False
    if row.local in opened_here:
        opened = opened_here[row.local]
    elif peer.local in opened_here:
        opened = not opened_here[peer.local]
    else:
        return False
    return peer.received == row.acked - counted[0 if opened else 1] + row.sent


def unsent(port: int, remote: int) -> int | None:
    """The bytes the socket of local `port` connected to `remote` holds for its peer, not acknowledged yet
    (sent or waiting for room in the peer's window); None when the table does not show that connection."""
    for row in _tcp_rows(port):
        if row.local == port and row.remote == remote:
            return row.sent
    return None


def usage(pids: Iterable[int]) -> tuple[float, int]:
    """(CPU seconds, sum of peak resident sizes in bytes) of these processes and their reaped children."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    cpu = 0.0
    peak = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if len(fields) > 14:
            cpu += sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
        for line in _read(f"{PROC}/{pid}/status").decode("ascii", "replace").splitlines():
            if line.startswith("VmHWM:"):
                peak += int(line.split()[1]) * 1024
    return cpu, peak
