"""The load generator: every simulated chat client driven by one selectors event loop.

No thread per client: one process, one loop, non-blocking sockets, so a thousand clients cost a
thousand sockets and nothing else. Client number i is named `c0007` (four digits). A measured message
is the tag `c0007-m0003-<send time>` (the send time is `time.monotonic_ns()`, optionally followed by
`-xxx…` up to `LoadConfig.size` bytes), so each receiver knows from the line alone who sent which
message and when: counts are exact per receiver and the latency of a line is its arrival time minus the
time written inside it.

Three phases:
1. join: connect (at most `connect_window` clients not yet seen by the server at once, so a small
   listen backlog is not flooded), send the name, and wait for evidence the server took each name: a
   line containing it at any client, or at the server's console (`evidence`, given by the runner).
   When evidence stops for `join_stall_s`, the clients still unconfirmed are counted and the run goes on.
   Then wait for a quiet room (nothing received for 0.2 s, 10 s at most): the notices of arrival the
   server broadcast are delivered before the measure starts.
2. measure: closed loop by default (a client sends its next message once the previous one reached every
   other client, or once no line of it arrived for `wait_s`: a line was lost or the server is stuck),
   or open loop at `rate` messages per second per client. No message is sent after `max_s`.
3. drain: once everything is sent, wait until every expected line arrived, or nothing arrived for
   `drain_silence_s`, or `drain_max_s` passed; what is still missing then is lost. Expected lines are
   counted for the messages actually sent: each of them at every other client.
"""

from __future__ import annotations

import errno
import math
import re
import selectors
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from grader.charge.latency import LatencyHistogram

NAME_DIGITS = 4
MAX_CLIENTS = 10**NAME_DIGITS - 1
TICK_S = 0.05  # longest sleep of the loop: timeouts, progress and evidence are checked this often
PROGRESS_EVERY_S = 0.2
CONNECT_TIMEOUT_S = 10.0
SETTLE_QUIET_S = 0.2  # the room is quiet when no client received anything for this long
SETTLE_MAX_S = 10.0
MAX_PARTIAL = 1 << 20  # a line longer than this without "\n" is dropped (and counted as an error)
RECV_SIZE = 256 * 1024
FATE_QUIET_S = 0.5  # the client that stopped reading: nothing more for this long, it is still connected
FATE_MAX_S = 5.0
BLOCKED_RCVBUF = 4096  # the client that stops reading: a small window, so the server's buffers fill soon

# A relayed measured line: optional "[HH:MM] " (any bracketed prefix), the sender's name, any spacing
# around ":", then the tag of the same sender (back-reference), optional padding, optional "\r".
RELAY = re.compile(rb"^(?:\[[^\]\n]*\] *)?c(\d+) *: *c\1-m(\d+)-(\d+)(?:-x*)?\r?$", re.M)
NAME = re.compile(rb"c(\d{%d})(?!\d)" % NAME_DIGITS)

WAITING, CONNECTING, JOINED, CLOSED = range(4)
IN_PROGRESS = {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", 0)}


@dataclass(frozen=True)
class LoadConfig:
    clients: int = 100
    messages: int = 20
    rate: float | None = None  # messages per second per client (open loop); None: closed loop
    wait_s: float = 1.0  # closed loop: a message with no new arrival for this long is given up
    max_s: float = 120.0  # longest sending time; then the run drains and is marked interrupted
    size: int = 0  # pad each message up to this many bytes (0: the tag alone, about 35 bytes)
    blocked_reader: bool = False  # one more client that joins, then never reads again
    join_stall_s: float = 3.0
    drain_silence_s: float = 2.0
    drain_max_s: float = 30.0
    connect_window: int = 4  # clients connecting or not yet seen by the server: a listen(5) never overflows

    @property
    def planned_lines(self) -> int:
        """Relayed lines if every client sends all its messages and every other client gets them."""
        return self.clients * self.messages * (self.clients - 1)


@dataclass(frozen=True)
class Progress:
    phase: str  # "connexion", "mesure", "vidange"
    joined: int
    clients: int
    sent: int
    planned: int
    received: int
    expected: int


@dataclass
class GeneratorResult:
    config: LoadConfig
    received: int = 0  # distinct expected lines that arrived
    duplicates: int = 0
    echoes: int = 0  # own messages sent back to their sender (allowed, ignored)
    other_lines: int = 0  # lines that are no measured relay (notices, join lines, another format)
    sent: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    connect_ms: list[float] = field(default_factory=list)
    join_s: float = 0.0
    unconfirmed: int = 0  # clients the server never showed it had taken (the run went on)
    errors: Counter = field(default_factory=Counter)  # French message -> count
    disconnections: int = 0  # measured clients the server closed or reset before the end
    measure_s: float = 0.0  # first send -> last measured line received
    generator_cpu_pct: float = 0.0  # CPU of this process during the measure, in % of one core
    blocked_reader_fate: str | None = None
    interrupted: bool = False  # max_s reached before every message was sent

    @property
    def expected(self) -> int:
        """Relayed lines expected: each message sent, at every other client."""
        return self.sent * (self.config.clients - 1)

    @property
    def lost(self) -> int:
        return self.expected - self.received


class _Client:
    __slots__ = (
        "index",
        "name",
        "sock",
        "state",
        "out",
        "partial",
        "seen",
        "confirmed",
        "sent",
        "remaining",
        "progress_at",
        "connect_started",
        "measured",
    )

    def __init__(self, index: int, seen_size: int, measured: bool) -> None:
        self.index = index
        self.name = f"c{index:0{NAME_DIGITS}d}"
        self.sock: socket.socket | None = None
        self.state = WAITING
        self.out = bytearray()
        self.partial = b""
        self.seen = bytearray(seen_size)  # seen[sender * messages + seq]: that line arrived here
        self.confirmed = False
        self.sent = 0
        self.remaining = 0  # closed loop: receivers still missing the last message sent
        self.progress_at = math.inf  # closed loop: last send or arrival of the last message sent
        self.connect_started = 0.0
        self.measured = measured

    @property
    def connection(self) -> socket.socket:
        """The socket of a client that has started to connect."""
        if self.sock is None:
            raise RuntimeError(f"{self.name} : pas encore de connexion")
        return self.sock


class LoadGenerator:
    """One load test against HOST:PORT: `with LoadGenerator(...) as generator: generator.run()`."""

    def __init__(
        self,
        host: str,
        port: int,
        config: LoadConfig,
        *,
        first_socket: socket.socket | None = None,
        evidence: Callable[[], Iterable[str]] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        if not 2 <= config.clients <= MAX_CLIENTS - 1:
            raise ValueError(f"clients must be within 2..{MAX_CLIENTS - 1}")
        self.address = (host, port)
        self.config = config
        self.first_socket = first_socket
        self.evidence = evidence
        self.on_progress = on_progress
        seen_size = config.clients * config.messages
        self.clients = [_Client(i, seen_size, True) for i in range(config.clients)]
        if config.blocked_reader:
            self.clients.append(_Client(config.clients, 0, False))
        self.measured = self.clients[: config.clients]
        self.selector = selectors.DefaultSelector()
        self.wake_reader, self.wake_writer = socket.socketpair()  # wake() -> the loop looks at once
        for end in (self.wake_reader, self.wake_writer):
            end.setblocking(False)
        self.selector.register(self.wake_reader, selectors.EVENT_READ, None)
        self.result = GeneratorResult(config)
        self.phase = "connexion"
        self.joined = 0
        self.unsettled = 0  # connect started, neither confirmed nor failed
        self.alive = 0  # measured clients connected and not closed
        self.last_progress = 0.0
        self.last_line = 0.0
        self.last_received = 0.0  # anything received by any client

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def wake(self) -> None:
        """Thread-safe: new console evidence may be there, look now (the runner calls it on output)."""
        if self.phase == "connexion":
            try:
                self.wake_writer.send(b"!")
            except OSError:
                pass  # a wake is already pending (buffer full), or the run is over

    def run(self) -> GeneratorResult:
        """Join, measure, drain. The clients stay connected until `close()` (the server is still busy)."""
        start = time.monotonic()
        self._join()
        self._settle()
        self.result.join_s = time.monotonic() - start
        self._measure()
        return self.result

    # -- join -----------------------------------------------------------------------------------

    def _join(self) -> None:
        queue = deque(self.clients)
        window = self.config.connect_window
        last_evidence = time.monotonic()
        while True:
            while queue and self.unsettled < window:
                self._start_connect(queue.popleft())
            before = self.joined
            self._poll(TICK_S, self._scan_names)
            self._take_console_evidence()
            now = time.monotonic()
            self._expire_connects(now)
            self._report(force=False)
            if self.joined != before:
                last_evidence = now
            if not queue and not self.unsettled:
                return
            if now - last_evidence > self.config.join_stall_s:
                if queue:
                    window = len(self.clients)  # no evidence any more: stop throttling the connects
                    last_evidence = now
                elif not any(c.state == CONNECTING for c in self.clients):
                    self.result.unconfirmed = sum(1 for c in self.clients if c.state == JOINED and not c.confirmed)
                    return

    def _settle(self) -> None:
        """Wait for a quiet room, so the join notices the server broadcast are not in the measure."""
        deadline = time.monotonic() + SETTLE_MAX_S
        while True:
            now = time.monotonic()
            if now > deadline or now - self.last_received > SETTLE_QUIET_S:
                return
            self._poll(SETTLE_QUIET_S, self._scan_names)
            self._report(force=False)

    def _start_connect(self, client: _Client) -> None:
        self.unsettled += 1
        client.connect_started = time.monotonic()
        if client.index == 0 and self.first_socket is not None:
            sock, self.first_socket = self.first_socket, None
            sock.setblocking(False)
            client.sock = sock
            client.state = CONNECTING
            self._connected(client, record_time=False)
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if not client.measured:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BLOCKED_RCVBUF)
        client.sock = sock
        client.state = CONNECTING
        code = sock.connect_ex(self.address)
        if code not in IN_PROGRESS:
            self._fail(client, _connect_error(code))
            return
        self.selector.register(sock, selectors.EVENT_WRITE, client)

    def _connected(self, client: _Client, *, record_time: bool = True) -> None:
        if record_time:
            self.result.connect_ms.append((time.monotonic() - client.connect_started) * 1000)
        client.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.state = JOINED
        self.alive += client.measured
        events = selectors.EVENT_READ
        if client.connection.fileno() in self.selector.get_map():
            self.selector.modify(client.connection, events, client)
        else:
            self.selector.register(client.connection, events, client)
        self._send(client, client.name.encode() + b"\n")

    def _expire_connects(self, now: float) -> None:
        for client in self.clients:
            if client.state == CONNECTING and now - client.connect_started > CONNECT_TIMEOUT_S:
                self._fail(client, "délai de connexion dépassé")

    def _scan_names(self, client: _Client, data: bytes, now_ns: int) -> None:
        self._confirm_names(data)

    def _take_console_evidence(self) -> None:
        if self.evidence is not None:
            lines = list(self.evidence())
            if lines:
                self._confirm_names("\n".join(lines).encode("utf-8", "replace"))

    def _confirm_names(self, data: bytes) -> None:
        for digits in NAME.findall(data):
            index = int(digits)
            if index < len(self.clients):
                client = self.clients[index]
                if client.state == JOINED and not client.confirmed:
                    client.confirmed = True
                    self.joined += 1
                    self.unsettled -= 1

    # -- measure and drain ----------------------------------------------------------------------

    def _measure(self) -> None:
        config = self.config
        for client in self.clients:
            if not client.measured and client.state == JOINED:
                self.selector.unregister(client.connection)  # from now on, nobody reads this one
        self.phase = "mesure"
        planned = config.clients * config.messages
        cpu_start = time.process_time()
        t0 = time.monotonic()
        self.last_line = t0
        next_open = 0  # open loop: the next message (k-th of client i is number k * clients + i)
        interval = 1 / (config.rate * config.clients) if config.rate else 0.0
        if not config.rate:
            for client in self.measured:
                self._send_next(client)
        drain_start = None
        while True:
            timeout = TICK_S
            if config.rate and next_open < planned:
                timeout = min(TICK_S, max(0.0, t0 + next_open * interval - time.monotonic()))
            self._poll(timeout, self._take_relays)
            now = time.monotonic()
            if drain_start is None and now - t0 > config.max_s:
                self.result.interrupted = True
            elif config.rate:
                while next_open < planned and t0 + next_open * interval <= now:
                    self._send_next(self.measured[next_open % config.clients])
                    next_open += 1
            else:
                self._expire_waits(now)
            self._report(force=False)
            if drain_start is None and (self.result.interrupted or self._all_sent()):
                drain_start = now
                self.phase = "vidange"
            if drain_start is not None and (
                self.result.received >= self.result.expected
                or now - self.last_line > config.drain_silence_s
                or now - drain_start > config.drain_max_s
            ):
                break
            if not self.alive:
                break
        self.result.measure_s = max(self.last_line - t0, 1e-9)
        self.result.generator_cpu_pct = 100 * (time.process_time() - cpu_start) / max(now - t0, 1e-9)
        self._report(force=True)
        self._blocked_reader_fate()

    def _all_sent(self) -> bool:
        messages = self.config.messages
        return all(c.sent >= messages or c.state != JOINED for c in self.measured)

    def _send_next(self, client: _Client) -> None:
        if client.state != JOINED or client.sent >= self.config.messages:
            return
        line = b"%s-m%04d-%d" % (client.name.encode(), client.sent, time.monotonic_ns())
        if len(line) < self.config.size:
            line += b"-" + b"x" * (self.config.size - len(line) - 1)
        client.sent += 1
        self.result.sent += 1
        client.remaining = self.alive - 1
        client.progress_at = time.monotonic()
        self._send(client, line + b"\n")

    def _expire_waits(self, now: float) -> None:
        """Closed loop: a message that made no progress for `wait_s` (a line lost, a stuck server)
        no longer holds its sender back."""
        limit = now - self.config.wait_s
        for client in self.measured:
            if client.progress_at < limit and client.state == JOINED:
                self._send_next(client)

    def _take_relays(self, receiver: _Client, data: bytes, now_ns: int) -> None:
        """Count the measured lines of one chunk (the hot path: locals only, one pass)."""
        if not receiver.measured:
            return
        result = self.result
        found = RELAY.findall(data)
        result.other_lines += data.count(b"\n") - len(found)
        messages = self.config.messages
        clients = self.measured
        count = len(clients)
        seen = receiver.seen
        me = receiver.index
        closed_loop = not self.config.rate
        now_s = now_ns / 1e9
        latencies = []
        for sender_digits, seq_digits, stamp in found:
            sender = int(sender_digits)
            seq = int(seq_digits)
            if sender == me:
                result.echoes += 1
            elif sender >= count or seq >= messages:
                result.other_lines += 1
            elif seen[sender * messages + seq]:
                result.duplicates += 1
            else:
                seen[sender * messages + seq] = 1
                latencies.append((now_ns - int(stamp)) // 1000)
                if closed_loop:
                    source = clients[sender]
                    if source.sent == seq + 1:
                        source.progress_at = now_s
                        source.remaining -= 1
                        if source.remaining == 0:
                            self._send_next(source)
        result.received += len(latencies)
        result.latency.add_all(latencies)
        self.last_line = time.monotonic()

    def _blocked_reader_fate(self) -> None:
        """What the server did with the client that stopped reading: it reads at last, until the end
        of the connection (closed or reset by the server) or a quiet `FATE_QUIET_S` (still connected)."""
        if not self.config.blocked_reader:
            return
        client = self.clients[-1]
        if client.state != JOINED:
            self.result.blocked_reader_fate = "jamais connecté"
            return
        fate = "toujours connecté (le serveur le garde)"
        client.connection.settimeout(FATE_QUIET_S)
        deadline = time.monotonic() + FATE_MAX_S
        try:
            while time.monotonic() < deadline:
                if not client.connection.recv(RECV_SIZE):
                    fate = "déconnecté par le serveur"
                    break
        except TimeoutError:
            pass
        except OSError:
            fate = "déconnecté par le serveur (réinitialisé)"
        self.result.blocked_reader_fate = fate

    # -- the loop and the sockets -----------------------------------------------------------------

    def _poll(self, timeout: float, on_lines: Callable[[_Client, bytes, int], None]) -> None:
        for key, mask in self.selector.select(timeout):
            client: _Client | None = key.data
            if client is None:
                self._drain_wakes()
                continue
            if client.state == CONNECTING:
                code = client.connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    self._fail(client, _connect_error(code))
                else:
                    self._connected(client)
                continue
            if mask & selectors.EVENT_WRITE:
                self._flush(client)
            if mask & selectors.EVENT_READ and client.state == JOINED:
                self._read(client, on_lines)

    def _drain_wakes(self) -> None:
        try:
            while self.wake_reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _read(self, client: _Client, on_lines: Callable[[_Client, bytes, int], None]) -> None:
        try:
            data = client.connection.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._fail(client, "connexion réinitialisée par le serveur", disconnected=True)
            return
        if not data:
            self._fail(client, "connexion fermée par le serveur", disconnected=True)
            return
        now_ns = time.monotonic_ns()
        self.last_received = now_ns / 1e9
        if client.partial:
            data = client.partial + data
        cut = data.rfind(b"\n") + 1
        client.partial = data[cut:]
        if len(client.partial) > MAX_PARTIAL:
            client.partial = b""
            self.result.errors["ligne de plus de 1 Mo sans fin de ligne, ignorée"] += 1
        if cut:
            on_lines(client, data[:cut], now_ns)

    def _send(self, client: _Client, data: bytes) -> None:
        client.out += data
        if len(client.out) == len(data):  # nothing was waiting: try at once
            self._flush(client)

    def _flush(self, client: _Client) -> None:
        if client.state != JOINED:
            return
        try:
            done = client.connection.send(client.out)
        except (BlockingIOError, InterruptedError):
            done = 0
        except OSError:
            self._fail(client, "envoi impossible : connexion coupée par le serveur", disconnected=True)
            return
        del client.out[:done]
        if client.connection.fileno() not in self.selector.get_map():
            return  # the client that stopped reading: its name is out or the run is over
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.out else 0)
        if self.selector.get_key(client.connection).events != events:
            self.selector.modify(client.connection, events, client)

    def _fail(self, client: _Client, message: str, *, disconnected: bool = False) -> None:
        if client.state == CLOSED:
            return
        if client.state in (CONNECTING, JOINED) and not client.confirmed:
            self.unsettled -= 1
        if client.state == JOINED:
            self.alive -= client.measured
        if disconnected and client.measured and self.phase != "connexion":
            self.result.disconnections += 1
        if client.measured or self.phase == "connexion":
            self.result.errors[message] += 1
        client.state = CLOSED
        self._forget(client)

    def _forget(self, client: _Client) -> None:
        if client.sock is None or client.sock.fileno() < 0:
            return  # never connected, or already forgotten (closed)
        if client.sock.fileno() in self.selector.get_map():
            self.selector.unregister(client.sock)
        client.sock.close()

    def close(self) -> None:
        for client in self.clients:
            self._forget(client)
        if self.first_socket is not None:
            self.first_socket.close()
        self.selector.close()
        self.wake_reader.close()
        self.wake_writer.close()

    def _report(self, *, force: bool) -> None:
        now = time.monotonic()
        if self.on_progress is None or (not force and now - self.last_progress < PROGRESS_EVERY_S):
            return
        self.last_progress = now
        config = self.config
        self.on_progress(
            Progress(
                self.phase,
                self.joined,
                len(self.clients),
                self.result.sent,
                config.clients * config.messages,
                self.result.received,
                config.planned_lines,
            )
        )


def _connect_error(code: int) -> str:
    if code == errno.ECONNREFUSED:
        return "connexion refusée"
    return f"connexion impossible ({errno.errorcode.get(code, code)})"
