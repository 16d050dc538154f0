"""TCP connections of the grader: scripted clients facing the student's server, and a scripted server
facing the student's client. A reader thread splits what arrives into lines and keeps a transcript."""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NoReturn

from grader.formats import seconds

from . import procfs, timing
from .errors import fail
from .exercise import HOST
from .french import os_error
from .lines import LineSplitter, decode_line
from .waiting import LineSource, Observable, wait_for

RECV_SIZE = 64 * 1024
MAX_KEPT_LINES = 20_000
MAX_KEPT_BYTES = 2 * 1024 * 1024  # per connection: 30 flooded connections stay far below 150 MB
TRANSCRIPT_ENTRIES = 2000
TRANSCRIPT_CHARS = 500  # an entry longer than this is cut (the whole line stays in lines())
# Transcript entries of the grader's own closes (replay.py performs them again).
CLOSED_HERE = "[le correcteur ferme la connexion]"
RESET_HERE = "[le correcteur coupe la connexion brutalement]"
PAUSED_HERE = "[ne lit plus rien]"
RESUMED_HERE = "[lit de nouveau]"
SHOWN_LINES = 8  # lines of what came back shown in a failure
QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only
# A narrow client (ScriptedClient.connect(narrow=True)): the smallest receive buffer, and segments of the
# Internet's minimum size, so that a server that writes to it while it reads nothing has its send
# blocked after tens of kilobytes instead of megabytes (on loopback the kernel sizes a socket's send buffer
# from the segment size). TCP_MAXSEG is missing on some systems: the buffer then is only smaller.
RESET_LINGER = struct.pack("HH" if os.name == "nt" else "ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset
NARROW_RECEIVE_BUFFER = 1  # the kernel rounds it up to its minimum
NARROW_SEGMENT = 536


class LineConnection(LineSource):
    """A connected socket; what arrives is split into lines (bounded), what is sent is logged."""

    opened_here = False  # the grader accepted it (ScriptedServer): the other end opened the connection

    def __init__(self, sock: socket.socket, label: str) -> None:
        super().__init__()
        self.label = label
        self._sock = sock
        self.local_port: int = sock.getsockname()[1]  # the grader's end, as the kernel's tables name it
        self.remote_port = _peer_port(sock)  # the other end's; None when it was gone before this
        sock.settimeout(timing.SEND)  # bounds sendall; the reader simply keeps waiting
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._lock = threading.Lock()
        self._splitter = LineSplitter()
        self._raw: list[bytes] = []
        self._text: list[str] = []
        self._kept_bytes = 0
        self.dropped_lines = 0  # beyond MAX_KEPT_LINES / MAX_KEPT_BYTES (a flooding peer)
        self._transcript: deque[tuple[float, str]] = deque(maxlen=TRANSCRIPT_ENTRIES)  # (when, entry)
        self.closed = False  # the reader has stopped: end of stream, reset, or closed here
        self._closed_here = False
        self.received_bytes = 0  # every byte that arrived, kept or not
        self._armed = False  # arm_reset() done, reset() not yet
        self._reading = threading.Event()  # cleared by pause(): the reader takes in nothing more
        self._reading.set()
        self._thread = threading.Thread(target=self._read, name=f"harness-{label}", daemon=True)
        self._thread.start()

    # -- receiving -----------------------------------------------------------------------------------
    def _read(self) -> None:
        try:
            while True:
                self._reading.wait()
                try:
                    data = self._sock.recv(RECV_SIZE)
                except TimeoutError:
                    continue
                except OSError:  # reset by the peer, or closed here
                    break
                if not data:
                    break
                self._ack_at_once()
                self._feed(data)
        finally:
            with self._lock:
                self.closed = True
            self._notify_observers()

    def _ack_at_once(self) -> None:
        """Linux: acknowledge what arrives at once (TCP_QUICKACK, which the kernel forgets, hence after each
        recv). A server that sends line after line without TCP_NODELAY (Nagle) holds each line until
        the previous one is acknowledged, and a delayed acknowledgement costs up to 40 ms: tens of lines
        sent to a room took ten times longer than the relaying itself."""
        if QUICKACK is not None:
            try:
                self._sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
            except OSError:
                pass

    def _feed(self, data: bytes) -> None:
        with self._lock:
            self.received_bytes += len(data)
            for raw in self._splitter.feed(data):
                if len(self._raw) >= MAX_KEPT_LINES or self._kept_bytes + len(raw) > MAX_KEPT_BYTES:
                    self.dropped_lines += 1
                    continue
                text = decode_line(raw)
                self._raw.append(raw)
                self._text.append(text)
                self._kept_bytes += len(raw)
                self._log(f"← {text}")
        self._notify_observers()

    def drained(self) -> bool | None:
        """Linux: everything that arrived so far is in lines() and partial(): the reader thread waits for
        more, or has stopped. None when unknown."""
        if self.closed:
            return True
        return procfs.own_thread_waiting(self._thread.native_id)

    def mark(self) -> int:
        with self._lock:
            return len(self._text)

    def lines(self, since: int = 0) -> list[str]:
        with self._lock:
            return self._text[since:]

    def raw_lines(self, since: int = 0) -> list[bytes]:
        with self._lock:
            return self._raw[since:]

    def partial(self) -> str:
        """What arrived after the last b"\\n" (a line not finished, or never finished)."""
        with self._lock:
            return decode_line(self._splitter.partial())

    def snapshot(self, since: int) -> tuple[list[str], int, bool]:
        with self._lock:
            return self._text[since:], len(self._text), self.closed

    def expect(
        self,
        predicate: Callable[[str], bool],
        timeout: float,
        *,
        expected: str,
        sent: str | None = None,
        hint: str | None = None,
        since: int = 0,
    ) -> str:
        """The first line (numbered `since` or later) satisfying predicate; CheckFailure showing what
        came back otherwise."""
        line = self.wait_line(predicate, timeout, since)
        if line is not None:
            return line
        self.fail_expected(timeout, expected=expected, sent=sent, hint=hint, since=since)

    def fail_expected(
        self, timeout: float, *, expected: str, sent: str | None = None, hint: str | None = None, since: int = 0
    ) -> NoReturn:
        """CheckFailure: the expected line did not come within timeout; shows what came back instead."""
        received = self.lines(since)
        partial = self.partial()
        if received or partial:
            summary = f"{self.label} n'a pas reçu la ligne attendue en {seconds(timeout)} s."
        elif self.closed:
            summary = f"{self.label} : la connexion a été fermée avant la ligne attendue."
        else:
            summary = f"{self.label} n'a rien reçu en {seconds(timeout)} s."
        if partial and not received and hint is None:
            hint = "Chaque ligne envoyée doit se terminer par « \\n » : sans elle, le message n'est pas complet."
        fail(summary, sent=sent, expected=expected, received=self.describe_received(since), hint=hint)

    def describe_received(self, since: int = 0) -> str:
        """The last lines received since `since` (and an unfinished one), for a failure message."""
        received = self.lines(since)
        shown = [f"« {line} »" for line in received[-SHOWN_LINES:]]
        if len(received) > SHOWN_LINES:
            shown.insert(0, f"[… {len(received) - SHOWN_LINES} lignes avant …]")
        partial = self.partial()
        if partial:
            shown.append(f"« {partial} » (sans fin de ligne)")
        return "\n  ".join(shown) if shown else "rien"

    def wait_closed(self, timeout: float) -> bool:
        """True once the peer ended the stream (or reset it) within the timeout."""
        return bool(wait_for(lambda: self.closed, timeout, [self]))

    # -- sending -------------------------------------------------------------------------------------
    def send_line(self, text: str) -> None:
        self._send((text + "\n").encode("utf-8"), text)

    def send_raw(self, data: bytes) -> None:
        shown = data.decode("utf-8", errors="replace").replace("\n", "⏎")
        self._send(data, f"[octets bruts] {shown}")

    def _send(self, data: bytes, shown: str) -> None:
        if self._closed_here:
            raise RuntimeError(f"{self.label}: sending on a connection the grader closed")
        with self._lock:
            self._log(f"→ {shown}")
        try:
            self._sock.sendall(data)
        except TimeoutError:
            fail(
                f"{self.label} ne peut plus envoyer : le serveur ne lit plus ce qu'il reçoit "
                f"(rien lu en {seconds(timing.SEND)} s).",
                sent=shown,
            )
        except OSError as exc:
            fail(
                f"{self.label} ne peut pas envoyer : la connexion a été fermée par l'autre côté ({os_error(exc)}).",
                sent=shown,
            )

    # -- ending --------------------------------------------------------------------------------------
    def close(self) -> None:
        """Orderly close (FIN); idempotent."""
        if self._begin_close(CLOSED_HERE):
            self._end(socket.SHUT_RDWR)

    def reset(self) -> None:
        """Abortive close: SO_LINGER 0, so the peer gets a reset (RST) instead of an end of stream."""
        if self._armed or self.arm_reset():
            self._armed = False
            self._end(None)

    def pause(self) -> None:
        """Take in nothing more until resume(): what comes fills the socket's buffer, then the peer's window
        closes and its sends wait (one recv already under way may still take in a last piece)."""
        with self._lock:
            self._log(f"→ {PAUSED_HERE}")
        self._reading.clear()

    def resume(self) -> None:
        with self._lock:
            self._log(f"→ {RESUMED_HERE}")
        self._reading.set()

    def arm_reset(self) -> bool:
        """Everything reset() does before the reset itself: a reset() that follows sends it at once. The
        peer is told nothing yet; from now on nothing is read (what comes fills the socket's buffer, then
        the peer's window closes). False when the connection was already closed here."""
        if not self._begin_close(RESET_HERE):
            return False
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_LINGER)
            self._sock.shutdown(socket.SHUT_RD)  # wakes the reader without telling the peer anything
        except OSError:
            pass
        self._thread.join(timing.CLOSE)
        self._armed = True
        return True

    def _begin_close(self, entry: str) -> bool:
        """The first close of this connection, logged in the transcript (a scenario's step)."""
        with self._lock:
            if self._closed_here:
                return False
            self._closed_here = True
            self._log(f"→ {entry}")
        self._reading.set()  # a paused reader wakes, to see the end
        return True

    def _end(self, how: int | None) -> None:
        if how is not None:
            try:
                self._sock.shutdown(how)
            except OSError:
                pass
            self._thread.join(timing.CLOSE)
        self._sock.close()
        with self._lock:
            self.closed = True
        self._notify_observers()

    def _log(self, entry: str) -> None:
        if len(entry) > TRANSCRIPT_CHARS:
            entry = entry[:TRANSCRIPT_CHARS] + " […]"
        self._transcript.append((time.monotonic(), entry))

    def transcript(self, max_lines: int | None = None) -> list[str]:
        """What was sent ("→ …") and received ("← …"), in order; the last max_lines entries."""
        entries = [entry for _, entry in self.timed_transcript()]
        return entries[-max_lines:] if max_lines else entries

    def timed_transcript(self) -> list[tuple[float, str]]:
        """The transcript with the time.monotonic() of each entry (to merge several connections in order)."""
        with self._lock:
            return list(self._transcript)


class ScriptedClient(LineConnection):
    """A client played by the grader: connects, sends its name, then lines."""

    opened_here = True

    def __init__(self, sock: socket.socket, name: str) -> None:
        super().__init__(sock, name or "client silencieux")
        self.name = name

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        name: str,
        *,
        sock: socket.socket | None = None,
        send_name: bool = True,
        narrow: bool = False,
    ) -> ScriptedClient:
        """Connect (or adopt `sock`, already connected) and send the name as the first line. A `narrow`
        client takes in little at a time (NARROW_RECEIVE_BUFFER)."""
        who = name or "un client"
        if sock is None:
            try:
                sock = (
                    _narrow_connection(host, port) if narrow else socket.create_connection((host, port), timing.CONNECT)
                )
            except TimeoutError:
                fail(
                    f"{who} n'a pas pu se connecter au serveur (port {port}) en {seconds(timing.CONNECT)} s.",
                    hint="Le serveur doit appeler accept() en boucle, sans rester bloqué sur un client.",
                )
            except OSError as exc:
                fail(
                    f"Connexion refusée pour {who} (port {port}) : le serveur n'accepte plus de "
                    f"connexions ({os_error(exc)}).",
                    hint="Le serveur s'est peut-être arrêté, ou a fermé sa socket d'écoute.",
                )
        client = cls(sock, name)
        if send_name:
            try:
                client.send_line(name)
            except BaseException:
                client.close()
                raise
        return client


def _peer_port(sock: socket.socket) -> int | None:
    try:
        return int(sock.getpeername()[1])
    except OSError:  # reset before it was handed over
        return None


def connect_then_reset(host: str, port: int, taken: Callable[[int], bool]) -> int | None:
    """Connect, and once `taken(local port)` says the peer's side has the connection, cut it with a reset
    (SO_LINGER 0), without a reader thread. The local port; None when refused, or never taken."""
    try:
        sock = socket.create_connection((host, port), timing.CONNECT)
    except OSError:
        return None
    with sock:
        local_port = int(sock.getsockname()[1])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_LINGER)
        return local_port if taken(local_port) else None


def _narrow_connection(host: str, port: int) -> socket.socket:
    """A connection whose receive buffer and segment size are set before the handshake that fixes them."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, NARROW_RECEIVE_BUFFER)
        if hasattr(socket, "TCP_MAXSEG"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, NARROW_SEGMENT)
    except OSError:
        pass
    sock.settimeout(timing.CONNECT)
    try:
        sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class ScriptedServer(Observable):
    """A server played by the grader on a free port of 127.0.0.1; accepts in the background and tells
    its observers of each new connection."""

    def __init__(self) -> None:
        super().__init__()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self.connections: list[LineConnection] = []
        self._claimed = 0
        self._closing = False
        self._thread = threading.Thread(target=self._accept_loop, name="harness-accept", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closing:
                    sock.close()
                    return
                number = len(self.connections) + 1
                label = "Serveur de test" + (f" (connexion {number})" if number > 1 else "")
                self.connections.append(LineConnection(sock, label))
            self._notify_observers()

    def next_connection(self) -> LineConnection | None:
        """The next connection not handed out yet, if one is there (no wait)."""
        with self._lock:
            if self._claimed < len(self.connections):
                self._claimed += 1
                return self.connections[self._claimed - 1]
        return None

    def accept(self, timeout: float) -> LineConnection | None:
        """The next connection not handed out yet, waiting for it up to timeout."""
        return wait_for(self.next_connection, timeout, [self])

    def close(self) -> None:
        """Stop accepting and close every connection (idempotent)."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # Linux: wakes accept()
        except OSError:
            pass
        if self._thread.is_alive():
            try:  # elsewhere, a connection of our own wakes accept()
                socket.create_connection((HOST, self.port), timeout=timing.CLOSE).close()
            except OSError:
                pass
        self._thread.join(timing.CLOSE)
        self._listener.close()
        for connection in self.connections:
            connection.close()
