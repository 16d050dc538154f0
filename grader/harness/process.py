"""One run of a student's program: started isolated, watched, and killed with its whole tree."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypedDict

from grader import confinement
from grader.confinement import launch, limits
from grader.confinement.startup import PRIVATE_PROC

from . import procfs, timing
from .output import OutputStream
from .stack_channel import StackChannel, new_channel
from .stacks import classic_causes, describe, parse_dump
from .tracebacks import readable
from .waiting import Observable, wait_probing

ioctl: Callable[[int, int, bytes], bytes] | None
try:  # POSIX: how many bytes wait unread in a pipe
    from fcntl import ioctl
    from termios import FIONREAD
except ImportError:  # Windows: unknown, every wait that uses it keeps its full deadline
    ioctl = None

TRACEBACK_MARKERS = ("Traceback (most recent call last)", "Exception in thread")
MEMORY_SHARE = 0.5  # a program whose processes held this share of the memory ceiling was stopped by it
MEMORY_EXHAUSTED = f"il a dépassé la mémoire permise ({limits.MEMORY_BYTES // 2**20} Mo)"
MEMORY_HINT = (
    "Le programme garde de plus en plus de données : une liste, un texte ou un historique qui grandit sans "
    "fin ? Ne gardez que ce qui sert (par exemple les derniers messages), et lisez le réseau par morceaux."
)


def surviving_processes() -> list[int]:
    """Linux: the live student programs this process started, directly or not, and what they started;
    [] on other systems. Every student program is started by `confinement.start`, which makes this
    process a child subreaper: a program that leaves its parent (setsid, double fork, an empty
    environment...) stays in this tree, read from the kernel's lists of children (not the whole machine)."""
    if not procfs.available():
        return []
    return sorted(pid for pid in procfs.family(os.getpid()) - {os.getpid()} if _student(pid))


def _student(pid: int) -> bool:
    """In a PID namespace other than ours (none can leave it), or started by the launcher (its command
    line carries the launcher's mark)."""
    try:
        if os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid"):
            return True
        return confinement.MARK.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return False


def kill_surviving_processes() -> list[int]:
    """Kill every process that surviving_processes() lists; return their pids (Linux only)."""
    survivors = set(surviving_processes())
    procfs.kill_until_none(lambda: set(surviving_processes()), survivors, timing.KILL)
    return sorted(survivors)


class IsolationOptions(TypedDict, total=False):
    """The keyword arguments of subprocess.Popen that `isolation_options` sets."""

    start_new_session: bool
    creationflags: int


def isolation_options() -> IsolationOptions:
    """Popen options giving a program a group of its own: a new session on POSIX, a new process group
    on Windows, so that `kill_process_tree` reaches everything it starts."""
    if os.name == "nt":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    return {"start_new_session": True}


def kill_process_tree(popen: launch.Started, members: Callable[[], set[int]], tree: set[int], timeout: float) -> None:
    """Kill a program started with `isolation_options()` and what it started: its process group (POSIX)
    or its tree (Windows: taskkill /T); then, on Linux, `tree` and every process `members()` finds (the
    processes of its namespace, or its descendants) until none is left."""
    if os.name == "nt":
        _taskkill(popen, timeout)
    elif hasattr(os, "killpg"):
        # Even when the leader has ended: the children it left in its group must go too.
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except OSError:  # the group is gone
            pass
    if procfs.available():
        procfs.kill_until_none(members, tree | members(), timeout)
    try:
        popen.kill()
    except OSError:
        pass


def _signal_each(pids: set[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError:  # already gone
            pass


def _taskkill(popen: launch.Started, timeout: float) -> None:
    if popen.poll() is not None:
        return
    try:
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(popen.pid)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        pass


class _Write:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.done = threading.Event()
        self.ok = False


class StudentProcess(Observable):
    """A student's program under the grader's control; observers are told when it exits."""

    def __init__(
        self, launched: confinement.Launched, *, label: str, workdir: Path, stacks: StackChannel | None = None
    ) -> None:
        super().__init__()
        self.label = label
        self.stacks = stacks  # the grader's hook: where each thread waits (diagnosis only)
        self.pid = launched.pid  # the student's own process (the launcher's child in a namespace)
        self.workdir = workdir
        self.layers = tuple(launched.layers)
        self._launched = launched
        self._popen = popen = launched.popen
        self._returncode: int | None = None
        self._exited = threading.Event()
        self._kill_lock = threading.Lock()
        self._killed = False
        self._usage: tuple[float, int] | None = None
        self.stdout = OutputStream("sortie", popen.stdout)
        self.stderr = OutputStream("erreurs", popen.stderr, block_markers=TRACEBACK_MARKERS)
        self._writes: queue.Queue[_Write | None] = queue.Queue()
        self._stdin_closed = False
        self._stdin_broken = False
        self._threads = [
            threading.Thread(target=self._reap, name=f"harness-wait-{label}", daemon=True),
            threading.Thread(target=self._write_stdin, args=(popen.stdin,), name=f"harness-stdin-{label}", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @classmethod
    def start(
        cls,
        workdir: Path,
        script: str,
        *,
        port: int,
        label: str,
        env: dict[str, str] | None = None,
        processes: int | None = None,
    ) -> StudentProcess:
        stacks = None if launch.disabled() else new_channel()  # without the launcher, no hook
        try:
            launched = confinement.start(
                script,
                workdir=Path(workdir),
                port=port,
                extra_env=env,
                processes=processes,
                popen_options={
                    "stdin": subprocess.PIPE,
                    "stdout": subprocess.PIPE,
                    "stderr": subprocess.PIPE,
                    "bufsize": 0,
                    **isolation_options(),
                },
                hook_globals=stacks.hook_globals() if stacks else None,
            )
        except BaseException:
            if stacks is not None:
                stacks.close()
            raise
        if stacks is not None:
            stacks.started(launched.pid)
        return cls(launched, label=label, workdir=Path(workdir), stacks=stacks)

    # -- life ----------------------------------------------------------------------------------------
    def _reap(self) -> None:
        self._returncode = self._launched.exit_code()
        self._exited.set()
        self._notify_observers()

    def poll(self) -> int | None:
        return self._returncode if self._exited.is_set() else None

    def wait_exit(self, timeout: float) -> int | None:
        self._exited.wait(max(0.0, timeout))
        return self.poll()

    # -- stdin ---------------------------------------------------------------------------------------
    def _write_stdin(self, pipe: BinaryIO) -> None:
        try:
            while True:
                item = self._writes.get()
                if item is None:
                    break
                try:
                    view = memoryview(item.data)
                    while view:
                        view = view[pipe.write(view) :]
                    item.ok = True
                except (OSError, ValueError):
                    self._stdin_broken = True
                item.done.set()
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    def type_line(self, text: str) -> bool:
        """Write text + "\\n" (UTF-8) on the program's stdin; False if stdin is closed or full."""
        if self._stdin_closed or self._stdin_broken:
            return False
        write = _Write((text + "\n").encode("utf-8"))
        self._writes.put(write)
        return write.done.wait(timing.TYPE) and write.ok

    def stdin_unread(self) -> int | None:
        """Bytes typed on the program's stdin that it has not read yet (a program that reads its input
        empties the pipe at once); None where the system cannot tell (Windows) or once stdin is closed."""
        stdin = self._popen.stdin
        if ioctl is None or stdin is None or self._stdin_closed or self._stdin_broken:
            return None
        try:
            answer = ioctl(stdin.fileno(), FIONREAD, b"\0\0\0\0")
        except (OSError, ValueError):
            return None
        return struct.unpack("i", answer)[0]

    def input_pending(self) -> bool:
        """True only when typed bytes are known to wait unread in the program's stdin."""
        return self.stdin_unread() not in (0, None)

    @property
    def stdin_broken(self) -> bool:
        """True once a write failed: the program closed its stdin or ended."""
        return self._stdin_broken

    def close_stdin(self) -> None:
        """End of file on the program's stdin (after what was typed before)."""
        if not self._stdin_closed:
            self._stdin_closed = True
            self._writes.put(None)

    # -- control -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def paused(self) -> Iterator[bool]:
        """Linux: every process of the program stopped (SIGSTOP) and seen stopped, until the block ends
        (SIGCONT): what the kernel does for it meanwhile (a connection taken into its backlog, then reset)
        is done before the program runs again. Yields False, having stopped nothing, where that cannot be
        seen (no /proc, no SIGSTOP)."""
        stop, go_on = getattr(signal, "SIGSTOP", None), getattr(signal, "SIGCONT", None)
        pids = self.tree_pids() if stop is not None and go_on is not None else set()
        if stop is None or go_on is None or not pids:
            yield False
            return
        try:
            _signal_each(pids, stop)
            yield wait_probing(lambda: procfs.stopped(pids), timing.PAUSE, [self], timing.ALIVE_PROBE)
        finally:
            _signal_each(pids, go_on)

    # -- teardown ------------------------------------------------------------------------------------
    def kill_tree(self) -> None:
        """Kill the program and everything it started, reap it, close its pipes (idempotent)."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
            tree = self.tree_pids()
            self._measure(tree)
            self._end_namespace()
            kill_process_tree(self._popen, self._run_pids, tree | self._run_pids(), timing.KILL)
            self._exited.wait(timing.KILL)
            self.close_stdin()
            # The pipes end together (a child that outlived the group may hold them): one deadline for all.
            deadline = time.monotonic() + timing.CLOSE
            for thread in self._threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            for stream in (self.stdout, self.stderr):
                stream.join(max(0.0, deadline - time.monotonic()))
            if self.stacks is not None:
                self.stacks.close()

    close = kill_tree

    def _end_namespace(self) -> None:
        """Linux, in a namespace: SIGKILL its PID 1, which ends every process in it; the launcher reaps it
        and ends the same way. (Killing the launcher first would leave PID 1 to this process, unreaped.)"""
        init = self._launched.init
        if init is None or not procfs.available():
            return
        procfs.kill_until_none(set, [init], timing.KILL)
        # The reaper thread's blocking wait sets _exited at once; Popen.wait(timeout) would poll, sleeping
        # up to 50 ms between two looks. Past the deadline, kill_process_tree ends the launcher.
        self._exited.wait(timing.KILL)

    def _run_pids(self) -> set[int]:
        """The program's processes and the launcher's own (ending the namespace's PID 1 ends the rest)."""
        return (procfs.family(self._popen.pid) if procfs.available() else set()) | self.tree_pids()

    def tree_pids(self) -> set[int]:
        """Linux: the live processes of this run: in a namespace, every process in it but its PID 1 (none
        can leave it); without one, the launcher's descendants. Empty elsewhere."""
        init = self._launched.init
        if not procfs.available():
            return set()
        if init is None:
            return procfs.family(self._popen.pid)
        return {self.pid} if self._alone() else procfs.family(init) - {init}

    def family(self) -> set[int]:
        """Linux: the student's process and its live descendants (procfs.family); empty elsewhere."""
        return {self.pid} if self._alone() else procfs.family(self.pid)

    def _alone(self) -> bool:
        """In its own namespace, with its own /proc, the student's process lives there alone with PID 1 (it
        is the namespace's PID 2, PID 1's first child; an orphan it left would be another): one listing
        tells it, instead of reading the children of each of its threads (60 reads at 60 threads, at every
        look)."""
        init = self._launched.init
        return init is not None and PRIVATE_PROC in self.layers and procfs.namespace_pids(init) == {1, 2}

    # -- diagnosis -----------------------------------------------------------------------------------
    def memory_exhausted(self) -> bool:
        """The program ran out of memory: its trace ends with MemoryError, or (Linux) its processes held
        at least MEMORY_SHARE of the ceiling (the last figures measured when the tree was killed)."""
        if self.has_traceback() and self.traceback_tail().rstrip().endswith("MemoryError"):
            return True
        usage = self.resource_usage()
        return usage is not None and usage[1] >= MEMORY_SHARE * limits.MEMORY_BYTES

    def has_traceback(self) -> bool:
        return self.stderr.blocks_seen > 0

    def traceback_tail(self, max_lines: int = 12) -> str:
        """The last complete traceback of each thread, as the student reads it (tracebacks.readable):
        paths relative to the submission, the exception line always there; about max_lines each."""
        blocks = [readable(block, self.workdir, max_lines) for block in self.stderr.complete_blocks()]
        return "\n".join("\n".join(block) for block in blocks)

    def where_it_waits(self) -> list[str]:
        """Where each thread of the running program is, in the student's file, and the classic mistakes
        this gives away; [] once it has ended or when it does not answer. Asked only once a verdict is
        given (diagnosis only)."""
        if self.stacks is None or self.poll() is not None:
            return []
        dump = self.stacks.request()
        if not dump:
            return []
        waits = parse_dump(dump, self.workdir)
        return describe(waits) + classic_causes(waits, self.workdir, server=self.label == "serveur")

    def resource_usage(self) -> tuple[float, int] | None:
        """(CPU seconds, peak RSS bytes) of the live tree, best effort: Linux only, else None.
        Once the tree is gone, the last figures measured (at kill time) or None."""
        if not procfs.available():
            return None
        return self._measure(self.tree_pids())

    def _measure(self, tree: set[int]) -> tuple[float, int] | None:
        if tree:
            self._usage = procfs.usage(tree)
        return self._usage
