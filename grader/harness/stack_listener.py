"""The portable way to the stack hooks (no /proc: macOS, Windows, or GRADER_SANS_PROC on Linux).

One loopback listener per grading process, started at the first program that needs it. Each program's
hook (`stack_hook.py`) connects to it before the program is confined and sends the token its channel
made (a random one, given in that program's order only); the listener hands the connection to that
channel, once. A connection that sends anything else, or nothing within HANDSHAKE_S, is closed: a
student's program that knows the port (it is in its own hook) reaches neither another program's channel
(the tokens cannot be guessed and serve once) nor the grader's time (one thread here, never blocked
by a connection; at most MOST_PENDING handshakes at a time, the oldest dropped).
"""

from __future__ import annotations

import secrets
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"
TOKEN_BYTES = 16
TOKEN_LINE = 2 * TOKEN_BYTES + 1  # hexadecimal, then "\n"
HANDSHAKE_S = 5.0  # the hook sends its token as it connects: this is only the bound for a connection that does not
MOST_PENDING = 64
Delivery = Callable[[socket.socket], None]


@dataclass
class _Pending:
    started: float
    received: bytearray = field(default_factory=bytearray)


class StackListener:
    def __init__(self) -> None:
        self._server = socket.create_server((HOST, 0))
        self._server.setblocking(False)
        self.port: int = self._server.getsockname()[1]
        self._expected: dict[str, Delivery] = {}
        self._lock = threading.Lock()
        self._pending: dict[socket.socket, _Pending] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server, selectors.EVENT_READ)
        threading.Thread(target=self._serve, name="harness-stacks", daemon=True).start()

    def expect(self, deliver: Delivery) -> str:
        """A new token: the connection that sends it is given to `deliver` (from the listener's thread)."""
        token = secrets.token_hex(TOKEN_BYTES)
        with self._lock:
            self._expected[token] = deliver
        return token

    def forget(self, token: str) -> None:
        with self._lock:
            self._expected.pop(token, None)

    def _serve(self) -> None:
        while True:
            for key, _ in self._selector.select(timeout=HANDSHAKE_S / 2):
                if key.fileobj is self._server:
                    self._accept()
                else:
                    self._read(key.fileobj)  # type: ignore[arg-type]
            limit = time.monotonic() - HANDSHAKE_S
            for connection in [c for c, pending in self._pending.items() if pending.started < limit]:
                self._drop(connection)

    def _accept(self) -> None:
        try:
            connection, _ = self._server.accept()
        except OSError:  # gone before it was accepted, or no descriptor left: the hook's dump is lost
            return
        if len(self._pending) >= MOST_PENDING:
            self._drop(next(iter(self._pending)))
        connection.setblocking(False)
        self._pending[connection] = _Pending(time.monotonic())
        self._selector.register(connection, selectors.EVENT_READ)

    def _read(self, connection: socket.socket) -> None:
        pending = self._pending.get(connection)
        if pending is None:  # dropped by an accept of the same round
            return
        try:
            data = connection.recv(TOKEN_LINE - len(pending.received))
        except BlockingIOError:
            return
        except OSError:
            data = b""
        pending.received += data
        if not data or (len(pending.received) == TOKEN_LINE and not pending.received.endswith(b"\n")):
            self._drop(connection)
        elif pending.received.endswith(b"\n"):
            self._hand_over(connection, pending.received[:-1].decode("ascii", "replace"))

    def _hand_over(self, connection: socket.socket, token: str) -> None:
        self._selector.unregister(connection)
        del self._pending[connection]
        with self._lock:
            deliver = self._expected.pop(token, None)
        if deliver is None:
            connection.close()
            return
        connection.setblocking(True)
        deliver(connection)

    def _drop(self, connection: socket.socket) -> None:
        self._selector.unregister(connection)
        del self._pending[connection]
        connection.close()


_listener: StackListener | None = None
_creating = threading.Lock()


def listener() -> StackListener:
    """This process's listener, started at the first call."""
    global _listener
    with _creating:
        if _listener is None:
            _listener = StackListener()
        return _listener
