"""The zygote (Linux, during a grading): one launcher process that forks the launcher of each student
program, instead of a new Python started for each one (startup._fork_on_request, its side).

A grading starts about 25 programs, a class of 30 about 750. A launcher started alone costs its Python
and its modules each time (72 ms of processor here on 2 December, against 43 for a bare Python that
imports what a chat program imports; 35 forked). What a launcher forked does next is
what a launcher started alone does: the same namespaces, limits, Landlock and order.

The grader sees a forked launcher as it sees a process it started (`ForkedLauncher`: pid, pipes, wait,
poll, kill), but it is the zygote's child: the zygote tells its exit code, and the grader signals it
through a pidfd the zygote gave, never through a pid that could be reused meanwhile.
"""

from __future__ import annotations

import functools
import os
import queue
import select
import signal
import socket
import subprocess
import threading
from collections.abc import Mapping
from typing import IO, BinaryIO

from grader.confinement.startup import decoded, encoded

_FORK_PATIENCE = 30.0  # seconds for the zygote to answer a request (it starts Python first, on a loaded machine)
_END_GRACE = 5.0  # seconds for the zygote to end once every launcher it forked has ended
_STREAMS = ("stdin", "stdout", "stderr")
_KINDS = (subprocess.PIPE, subprocess.DEVNULL)  # what each of them may be
# The options of subprocess.Popen a forked launcher honours; others (a file, cwd...) start one alone.
_SUPPORTED = {*_STREAMS, "bufsize", "start_new_session"}


class ForkedLauncher:
    """A launcher the zygote forked, as subprocess.Popen shows a process: what the harness uses of it."""

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.args = ["lanceur", str(pid)]
        self.returncode: int | None = None
        self.stdin: IO[bytes] | None = None
        self.stdout: IO[bytes] | None = None
        self.stderr: IO[bytes] | None = None
        self._pidfd = pidfd
        self._ended = threading.Event()
        self._lock = threading.Lock()

    def ended(self, code: int) -> None:
        with self._lock:
            self.returncode = code
            os.close(self._pidfd)
            self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        with self._lock:
            if self._ended.is_set():
                return
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait_outside(self) -> None:
        """The zygote is gone before telling this one's end: it came back to this process (a subreaper),
        which reaps it; or it is someone else's, and only its end is known."""
        select.select([self._pidfd], [], [])
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        except ChildProcessError:
            code = -signal.SIGKILL
        self.ended(code)


@functools.cache
def available() -> bool:
    """This Python and this kernel give what the zygote needs: pidfds (Linux 5.3) and descriptors passed
    over a Unix socket (asked once: every program of a grading asks)."""
    if not hasattr(os, "pidfd_open") or not hasattr(signal, "pidfd_send_signal"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


class Zygote:
    """The zygote process of one grading, and the thread that reads what it tells."""

    def __init__(
        self, command: list[str], spec: Mapping[str, object], *, lifeline: int, cwd: str, env: Mapping[str, str]
    ) -> None:
        """`command`: the launcher's, without its spec; `spec`: the launcher's, to which the grader's
        lifeline and the zygote's socket are added; `cwd` and `env`: the zygote's."""
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._popen = subprocess.Popen(
                [*command, encoded({**spec, "lifeline_fd": lifeline, "zygote_fd": theirs.fileno()})],
                pass_fds=(lifeline, theirs.fileno()),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except BaseException:
            self._socket.close()
            raise
        finally:
            theirs.close()
        self._asking = threading.Lock()  # one request at a time: its answer is the next "forked"
        self._answers: queue.Queue[ForkedLauncher | None] = queue.Queue()
        self._running: dict[int, ForkedLauncher] = {}
        self._running_lock = threading.Lock()
        self._gone = False
        self._reader = threading.Thread(target=self._read, name="confinement-zygote", daemon=True)
        self._reader.start()

    def fork(self, options: Mapping[str, object]) -> tuple[ForkedLauncher, BinaryIO] | None:
        """A launcher forked with these Popen options, and the reading end of its status pipe; None when
        the options are not the zygote's to give, or the zygote is gone (the caller starts one alone)."""
        if not set(options) <= _SUPPORTED or any(options.get(name) not in _KINDS for name in _STREAMS):
            return None
        ours, theirs = _stream_ends(options)
        status_reading, status_writing = os.pipe()
        theirs.append(status_writing)
        forked = None
        try:
            with self._asking:
                if not self._gone:
                    request = encoded({"session": bool(options.get("start_new_session"))}).encode("ascii")
                    socket.send_fds(self._socket, [request], theirs)
                    forked = self._answers.get(timeout=_FORK_PATIENCE)
        except (OSError, queue.Empty):
            self._gone = True
        finally:
            for fd in theirs:
                os.close(fd)
        if forked is None:
            for end in (*ours.values(), status_reading):
                if end is not None:
                    os.close(end)
            return None
        buffering = 0 if options.get("bufsize") == 0 else -1
        for name, end in ours.items():
            if end is not None:
                setattr(forked, name, os.fdopen(end, "wb" if name == "stdin" else "rb", buffering=buffering))
        return forked, os.fdopen(status_reading, "rb")

    def _read(self) -> None:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self._socket, 4096, 1)
            except OSError:
                message, fds = b"", []
            if not message:
                break
            kind, pid, *rest = decoded(message)
            with self._running_lock:
                if kind == "forked":
                    self._running[pid] = launcher = ForkedLauncher(pid, fds[0])
                    self._answers.put(launcher)
                    continue
                launcher = self._running.pop(pid)
            launcher.ended(rest[0])
        self._gone = True
        self._answers.put(None)
        with self._running_lock:
            left, self._running = list(self._running.values()), {}
        for launcher in left:
            threading.Thread(target=launcher.wait_outside, name="confinement-orphan", daemon=True).start()

    def end(self) -> None:
        """Tell the zygote no more forks will come: it ends once every launcher it forked has (they are
        all ended when a grading ends). Killed if it has not within a few seconds."""
        try:
            self._socket.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            self._popen.wait(_END_GRACE)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()
        self._reader.join(_END_GRACE)
        self._socket.close()


def _stream_ends(options: Mapping[str, object]) -> tuple[dict[str, int | None], list[int]]:
    """For stdin, stdout and stderr: the grader's end of each pipe asked (None for the null device), and
    the launcher's ends, in that order."""
    ours: dict[str, int | None] = {}
    theirs = []
    for name in _STREAMS:
        if options[name] == subprocess.PIPE:
            reading, writing = os.pipe()
            ours[name] = writing if name == "stdin" else reading
            theirs.append(reading if name == "stdin" else writing)
        else:
            ours[name] = None
            theirs.append(os.open(os.devnull, os.O_RDWR))
    return ours, theirs
