"""The grader's side of the stack hook in one student program: asking for every thread's stack.

The launcher runs `stack_hook.py` in every student program (`confinement.add_hook`). Where /proc is read
(`procfs.available()`: Linux, unless GRADER_SANS_PROC is set), `ProcChannel` opens the other ends of the
hook's two pipes through /proc/<pid>/fd. Elsewhere (macOS, Windows, and Linux with GRADER_SANS_PROC, which
so tests this path), `SocketChannel` gives the hook, in the program's order, the address of this
process's loopback listener (`stack_listener.py`) and a token of its own; the hook connects before the
confinement, and the listener hands the connection over. Either way a request is one byte, and the answer
is the dump (faulthandler's format) and the hook's end mark. Only one of them runs in a program: the
/proc probes that prove a program at rest (rest.py) know the pipes' thread, and without /proc no rest is
ever proven, so the connection's thread never takes part in a verdict.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import BinaryIO, cast

from grader import confinement
from grader.confinement import launch

from . import procfs, stack_hook, stack_listener
from .output import OutputStream

HOOK = Path(stack_hook.__file__).resolve()
END_MARK = stack_hook.END_MARK.decode("ascii").rstrip("\n")
DUMP_TIMEOUT_S = 1.0  # the hook's thread answers at once, unless the program is gone or holds the GIL


def new_channel() -> StackChannel:
    """The channel of a program about to start: its hook is registered (once per grading process)."""
    if str(HOOK) not in launch.hooks:
        confinement.add_hook(HOOK)
    return ProcChannel() if procfs.available() else SocketChannel()


class StackChannel:
    """Asks one running program for its dump; the answers are read in the background."""

    def __init__(self) -> None:
        self.answers: OutputStream | None = None

    def hook_globals(self) -> dict[str, dict[str, object]]:
        """What the hook of this program is given (confinement.start's hook_globals)."""
        return {}

    def started(self, pid: int) -> None:
        """The program runs as `pid` (seen from the grader)."""

    def request(self, timeout: float = DUMP_TIMEOUT_S) -> list[str] | None:
        """The dump's lines, or None when the program did not answer (gone, stuck holding the GIL, or its
        hook never set up)."""
        if not self._ready(timeout) or self.answers is None:
            return None
        mark = self.answers.mark()
        if not self._ask():
            return None
        if self.answers.wait_line(lambda line: line == END_MARK, timeout, since=mark) is None:
            return None
        lines = self.answers.lines(mark)
        return lines[: lines.index(END_MARK)]

    def close(self) -> None:
        """Our ends closed (the program's are gone with it); the answers' reader ends."""
        self._hang_up()
        if self.answers is not None:
            self.answers.join(0.5)

    def _ready(self, timeout: float) -> bool:
        raise NotImplementedError

    def _ask(self) -> bool:
        raise NotImplementedError

    def _hang_up(self) -> None:
        raise NotImplementedError


class ProcChannel(StackChannel):
    """Linux: the hook's pipes, opened through /proc/<pid>/fd at the first request."""

    def __init__(self) -> None:
        super().__init__()
        self.pid: int | None = None
        self._request = -1

    def started(self, pid: int) -> None:
        self.pid = pid

    def _ready(self, timeout: float) -> bool:
        if self.answers is not None:
            return True
        fds = f"{procfs.PROC}/{self.pid}/fd"
        try:
            answers = os.open(f"{fds}/{procfs.HOOK_FD + 2}", os.O_RDONLY)
        except OSError:  # the hook not set up, or the program gone
            return False
        try:
            self._request = os.open(f"{fds}/{procfs.HOOK_FD + 1}", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            os.close(answers)
            return False
        pipe: BinaryIO = os.fdopen(answers, "rb", buffering=0)
        self.answers = OutputStream("releve", pipe)
        return True

    def _ask(self) -> bool:
        try:
            os.write(self._request, b"?")
        except OSError:
            return False
        return True

    def _hang_up(self) -> None:
        if self._request >= 0:
            try:
                os.close(self._request)
            except OSError:
                pass
            self._request = -1


class SocketChannel(StackChannel):
    """Everywhere: the hook's connection to this process's listener, known by the token it sends."""

    def __init__(self) -> None:
        super().__init__()
        self._listener = stack_listener.listener()
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._connection: socket.socket | None = None
        self._closed = False
        self.token = self._listener.expect(self._connect)

    def hook_globals(self) -> dict[str, dict[str, object]]:
        return {str(HOOK): {"GRADER": [stack_listener.HOST, self._listener.port, self.token]}}

    def _connect(self, connection: socket.socket) -> None:
        with self._lock:
            if self._closed:
                connection.close()
                return
            self._connection = connection
            self.answers = OutputStream("releve", cast(BinaryIO, connection.makefile("rb", buffering=0)))
        self._connected.set()

    def _ready(self, timeout: float) -> bool:
        return self._connected.wait(timeout)  # set as the program starts: only a hook that never came waits

    def _ask(self) -> bool:
        connection = self._connection
        if connection is None:  # hung up
            return False
        try:
            connection.sendall(b"?")
        except OSError:
            return False
        return True

    def _hang_up(self) -> None:
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
        self._listener.forget(self.token)
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
