"""The fair scenario driver of the server checks: scripted clients around the student's server.

Fairness: a line is sent only once the previous one has been seen by its recipients (or logged by the
server), as a person typing would, so only S10/S11 test a server's line framing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from grader.formats import seconds

from . import causes, procfs, rest, timing
from .connection import ScriptedClient, connect_then_reset
from .errors import CheckFailure, fail
from .french import de
from .matching import contains_message, diagnose_relay
from .output import OutputStream
from .process import StudentProcess
from .student import RunningServer, start_server
from .waiting import LineSource, Observable, SeenTwice, first_match, wait_or_rest, wait_probing
from .workspace import Workspace


@dataclass
class ServerTrackRecord:
    """What the student's server has shown so far, shared by the rooms of one grading session.

    It only shortens the wait for something this server has never once done within the full deadline:
    showing it took a name (join evidence), apart for a client that comes alone and for one that comes
    while others are connected (a server that serves one client at a time shows the first, never the
    second); relaying a message to a client. Once it does, the full deadlines are back: a server that
    does it at all never meets a shortened deadline. The fallbacks are still deadlines, never sleeps."""

    joins: dict[bool, bool | None] = field(default_factory=lambda: {False: None, True: None})  # by crowded
    relays: bool | None = None  # None: unknown; False: a whole relay deadline expired before any relay
    unterminated: bool = False  # a relay came, but only in bytes without end of line
    rests: bool = False  # seen at rest (Linux): its threads wait with no deadline; cleared by a settle that times out

    def join_timeout(self, crowded: bool) -> float:
        """The deadline of a join's evidence; crowded: other clients are connected."""
        return timing.JOIN_FALLBACK if self.joins[crowded] is False else timing.JOIN

    def remember_join(self, crowded: bool, evidence: bool) -> None:
        """A join showed evidence, or its full deadline expired without any."""
        if evidence or self.joins[crowded] is None:
            self.joins[crowded] = evidence

    def relay_timeout(self) -> float:
        return timing.RELAY_FALLBACK if self.relays is False else timing.RELAY


class ChatRoom:
    """The student's server and the scripted clients that joined it."""

    def __init__(self, server: RunningServer, track_record: ServerTrackRecord | None = None) -> None:
        self.server = server
        self.track_record = track_record or ServerTrackRecord()
        self.console: OutputStream = server.process.stdout
        self.clients: list[ScriptedClient] = []
        self.join_evidence: bool | None = None  # in this room. None: no join yet; False: none shown
        self.last_join_timeout = timing.JOIN  # the deadline the last join's evidence had
        self._marks: dict[LineSource, int] = {}  # every source's mark before the last action
        self._sentinels: list[str] = []  # the sentinel messages settle() sent
        self._relaying = False  # a relay arrived: the server may still be in its broadcast loop

    @classmethod
    def start(cls, workspace: Workspace, track_record: ServerTrackRecord | None = None) -> ChatRoom:
        return cls(start_server(workspace), track_record)

    # -- joining -------------------------------------------------------------------------------------
    def join(self, name: str, *, narrow: bool = False) -> ScriptedClient:
        """Connect, send the name, and wait for evidence that the server took it: a console line
        containing the name (after the send), or a line containing it at any connected client.

        Deadline timing.JOIN. A server that gives no such evidence is not failed here: the room
        carries on, remembers it (and the session's track record too), and gives later joins only
        timing.JOIN_FALLBACK. That degraded path only concerns servers that do not log joins (they
        fail S02 anyway) or serve one client at a time. The wait also ends when it can no longer
        succeed: the server ended, or it closed this connection or one that was open before it, or
        it is at rest (at_rest). A `narrow` client takes in little at a time (ScriptedClient.connect).

        After a relay, the newcomer arrives only once the server has finished that broadcast (_settle):
        its loop may still be going over the clients after the last recipient got the line, and an
        arrival at that moment meets a race of the student's on one run and not on the next."""
        if self._relaying and self.track_record.rests:
            self._settle()
        marks = self._remember_marks()
        open_before = [client for client in self.clients if not client.closed]
        client = self._connect(name, send_name=True, narrow=narrow)
        crowded = bool(open_before)
        timeout = timing.JOIN_FALLBACK if self.join_evidence is False else self.track_record.join_timeout(crowded)
        sources = {source: marks.get(source, 0) for source in self._sources()}
        ended = False

        def hopeless() -> bool:
            nonlocal ended
            ended = self.server.process.poll() is not None or any(c.closed for c in [client, *open_before])
            # A server that prints the name and then closes: the line is in the pipe before the close is
            # seen, but the reader may not have taken it in yet (Linux tells; elsewhere, as before).
            return ended and self.console.drained() is not False

        found = self.first_match_or_rest(sources, lambda line: name in line, timeout, stop=hopeless)
        if found is None:
            self._check_server_alive(f"après la connexion {de(name)}", wait=self.console.at_eof)
        if found is not None or self.join_evidence is None:
            self.join_evidence = found is not None
        if found is not None or (not ended and timeout >= timing.JOIN):  # only a full deadline proves none
            self.track_record.remember_join(crowded, found is not None)
        self.last_join_timeout = timeout
        if found is not None and self.track_record.rests:
            self._settle()
        return client

    def _settle(self) -> None:
        """The server has shown a join, or relayed a line: let it finish with it (register the name, send
        notices, end its loop over the clients) before the next step, so that a race of its own does not
        show on one run and not on the next. The wait ends once the server is at rest, or at timing.SETTLE.
        One look is enough here: it proves one instant (procfs.Look), and a settle only chooses when the
        next step comes, never a verdict (the waits that conclude "it will not come" still believe a rest
        seen at two looks in a row). It follows every join of a server that rests, so its looks
        are close together (timing.SETTLE_PROBE): a server done with the join in a moment is not made to
        wait for the slower probe of the other waits. A server that does not come to rest by the deadline
        (it rested once, then took a clock: a timed recv, a timer) is settled no more, until a look proves
        it at rest again: each of its joins would wait out the deadline for nothing. (Until each look
        proved one instant, procfs.Look, a server that never rests could be seen at rest once, and each of
        its joins then waited out this deadline.)"""
        self._relaying = False
        if not wait_probing(self.at_rest, timing.SETTLE, [self.server.process], timing.SETTLE_PROBE):
            self.track_record.rests = False

    def connect_silent(self, label: str = "client silencieux") -> ScriptedClient:
        """A connection that sends nothing by itself (the first one reuses the readiness connection); the
        label names it in the evidence (a check that makes it talk says what it does)."""
        self._remember_marks()
        client = self._connect("", send_name=False)
        client.label = label
        return client

    def _connect(self, name: str, *, send_name: bool, narrow: bool = False) -> ScriptedClient:
        ready = None if narrow else self.server.take_ready_socket()  # connected already: too late to narrow
        try:
            client = ScriptedClient.connect(
                self.server.host, self.server.port, name, sock=ready, send_name=send_name, narrow=narrow
            )
        except CheckFailure:
            self._check_server_alive(f"avant la connexion {de(name or 'un client')}", wait=True)
            raise
        self.clients.append(client)
        return client

    # -- talking -------------------------------------------------------------------------------------
    def say(self, sender: ScriptedClient, message: str, recipients: list[ScriptedClient]) -> dict[ScriptedClient, str]:
        """Send `message` from sender, then wait (timing.RELAY in all; timing.RELAY_FALLBACK once this
        server has let a relay deadline expire without ever relaying anything) until every recipient
        received a line containing it, or, with no recipient, until the console logged it; sooner
        once the server is at rest without having sent it (at_rest).

        Returns the line each recipient received; CheckFailure with a diagnosis otherwise."""
        marks = self._remember_marks()
        try:
            sender.send_line(message)
        except CheckFailure:
            self._check_server_alive(f"quand {sender.label} a envoyé « {message} »", wait=True)
            raise
        if not recipients:
            self._wait_logged(sender, message, marks[self.console])
            return {}
        timeout = self.track_record.relay_timeout()
        deadline = time.monotonic() + timeout
        received: dict[ScriptedClient, str] = {}
        for recipient in recipients:
            line = self.wait_line_or_rest(
                recipient,
                lambda text: contains_message(text, message),
                deadline - time.monotonic(),
                since=marks.get(recipient, 0),
            )
            if line is None:
                waited_out = time.monotonic() >= deadline
                self._remember_relays(message, recipients, marks, expired=not recipient.closed)
                self._fail_relay(sender, message, recipient, marks.get(recipient, 0), timeout if waited_out else None)
            received[recipient] = line
        self.track_record.relays = True
        self._relaying = True
        return received

    def _remember_relays(
        self, message: str, recipients: list[ScriptedClient], marks: dict[LineSource, int], *, expired: bool
    ) -> None:
        """What a failed relay proves about this server. "Never relays" only once the wait has proven
        that the message will not come (its whole deadline, or the server at rest), with the message at
        no other client, not even without end of line, and the server alive without a traceback: a crash
        or a missing end of line is a cause of its own, told by the check that met it."""
        if any(contains_message(line, message) for r in recipients for line in r.lines(marks.get(r, 0))):
            self.track_record.relays = True
        elif any(causes.unterminated(r, message) for r in recipients):
            self.track_record.unterminated = True
        elif expired and self.track_record.relays is None and causes.crash(self.server.process, "") is None:
            self.track_record.relays = False

    def _wait_logged(self, sender: ScriptedClient, message: str, mark: int) -> None:
        found = self.wait_line_or_rest(
            self.console, lambda line: contains_message(line, message), timing.RELAY, since=mark
        )
        if found is not None:
            return
        self._check_server_alive(f"après le message {de(sender.label)}", wait=True)
        fail(
            f"La console du serveur n'a pas affiché le message {de(sender.label)} en {seconds(timing.RELAY)} s.",
            sent=f"{sender.label} → « {message} »",
            expected=f"{sender.name} : {message}",
            received=self.console.tail(8) or "rien",
            hint='Le serveur affiche chaque message reçu avec print(f"{nom} : {message}").',
        )

    def _fail_relay(
        self, sender: ScriptedClient, message: str, recipient: ScriptedClient, mark: int, waited: float | None
    ) -> NoReturn:
        """Why the message did not reach the recipient, the first real cause first: the server ended or
        printed a traceback, the message came without end of line, the connection was closed; only then
        "not arrived" (`waited`: the whole deadline waited out, None when the server came to rest)."""
        self._check_server_alive(f"après le message {de(sender.label)}", wait=recipient.closed)
        lines = recipient.lines(mark)
        partial = recipient.partial()
        crashed = causes.crash(self.server.process, f"après le message {de(sender.label)}")
        if crashed is not None:
            fail(
                f"Le message {de(sender.label)} n'est pas arrivé à {recipient.label}. {crashed.summary}",
                sent=f"{sender.label} → « {message} »",
                expected=f"{sender.name} : {message}",
                received=crashed.received,
                hint=crashed.hint,
            )
        if contains_message(partial, message):
            summary = f"Le message {de(sender.label)} est arrivé à {recipient.label} sans fin de ligne."
            hint = causes.NEWLINE_HINT
        else:
            if recipient.closed:
                summary = (
                    f"Le serveur a fermé la connexion {de(recipient.label)} avant qu'il reçoive le message "
                    f"{de(sender.label)}."
                )
            else:
                summary = (
                    f"Le message {de(sender.label)} n'est pas arrivé à {recipient.label} en {seconds(waited)} s."
                    if waited is not None
                    else f"Le message {de(sender.label)} n'est pas arrivé à {recipient.label} : le serveur s'est "
                    "remis à attendre sans l'envoyer."
                )
            hint = diagnose_relay(lines, sender.name, message)[1]
        fail(
            summary,
            sent=f"{sender.label} → « {message} »",
            expected=f"{sender.name} : {message}",
            received=recipient.describe_received(mark),
            hint=hint,
        )

    def prove_absent(
        self,
        sender: ScriptedClient,
        message: str,
        recipients: list[ScriptedClient],
        forbidden: Callable[[str], bool],
        watchers: Iterable[LineSource],
        *,
        since: dict[LineSource, int] | None = None,
        summary: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Send a sentinel `message` from sender to recipients and wait for it; then no watcher line
        since `since` (default: the marks taken before the room's previous action) may match
        forbidden. Watchers should be among the recipients (or be the console with no recipient),
        so that the sentinel's arrival proves that anything sent before it has arrived too."""
        since = dict(self._marks) if since is None else since
        self.say(sender, message, recipients)
        for watcher in watchers:
            bad = [line for line in watcher.lines(since.get(watcher, 0)) if forbidden(line)]
            if bad:
                fail(
                    summary or f"{self._who(watcher)} a reçu une ligne qui n'aurait pas dû arriver.",
                    received=f"« {bad[0]} »",
                    hint=hint,
                )

    def settle(self, sender: ScriptedClient, watchers: list[ScriptedClient]) -> bool:
        """Return once the server is done with every line `sender` sent so far, and whatever it sent the
        watchers meanwhile has arrived (or they were closed): an absence is then proven by two sentinel
        messages instead of a deadline waited out. The sender sends one: once another client has it,
        the server had handled the lines before it (it handles each connection's lines in order); a
        sender whose connection the server closed needs none. Then another client sends one to the
        watchers: TCP keeps order, so what the server sent them before it has arrived. False when a
        sentinel did not arrive in time (a server that relays nothing)."""
        if not sender.closed:
            others = [client for client in self.clients if client is not sender and not client.closed]
            if not self._sentinel(sender, others, every=False):
                return False
        open_watchers = [watcher for watcher in watchers if not watcher.closed]
        via = [client for client in self.clients if client not in watchers and not client.closed]
        return not open_watchers or (bool(via) and self._sentinel(via[0], open_watchers, every=True))

    def is_sentinel(self, line: str) -> bool:
        """True for a line carrying one of settle()'s sentinel messages (to leave out of what a check judges)."""
        return any(contains_message(line, sentinel) for sentinel in self._sentinels)

    def _sentinel(self, sender: ScriptedClient, recipients: list[ScriptedClient], *, every: bool) -> bool:
        """sender sends a sentinel line: True once one recipient received it, or the server closed the
        sender's connection (with every: once each recipient received it or was closed); False at the
        deadline."""
        if not recipients:
            return False
        # ASCII only (and correct French: words that need no accent): a server that mangles accents (S06
        # judges that) must still carry a sentinel.
        sentinel = f"Message {len(self._sentinels) + 1} du correcteur"
        self._sentinels.append(sentinel)
        marks = {recipient: recipient.mark() for recipient in recipients}
        try:
            sender.send_line(sentinel)
        except CheckFailure:
            return not every

        def arrived(recipient: ScriptedClient) -> bool:
            got = any(contains_message(line, sentinel) for line in recipient.lines(marks[recipient]))
            return got or (every and recipient.closed)

        def done() -> bool:
            if every:
                return all(arrived(recipient) for recipient in recipients)
            return sender.closed or any(arrived(recipient) for recipient in recipients)

        return self.wait_until(done, self.track_record.relay_timeout(), [sender, *recipients])

    def console_command(self, text: str) -> None:
        """Type a line on the server's stdin (e.g. "/kick Bob")."""
        self._remember_marks()
        if not self.server.process.type_line(text):
            self._check_server_alive(f"avant la commande « {text} »", wait=True)
            fail(
                f"La commande « {text} » n'a pas pu être tapée sur l'entrée standard du serveur.",
                hint="Le serveur lit ses commandes avec input() dans un thread à part.",
            )

    # -- waiting -------------------------------------------------------------------------------------
    def at_rest(self) -> bool:
        """Linux: nothing more can come from the server until a client of the grader acts. Every thread of
        the server waits with no deadline for input (a thread that data has woken shows as running), no
        byte is on its way to or from it, and the grader's readers have taken in all it sent (its clients
        and its console). False when unknown: waits then run to their deadline."""
        resting = rest.at_rest(self.server.process, self.server.port, self.clients)
        self.track_record.rests = self.track_record.rests or resting
        return resting

    def holds_for(self, client: ScriptedClient) -> bool:
        """Linux: the server holds bytes for `client`, which reads nothing more, and cannot go on until it
        does (rest.held_by_window). False when unknown."""
        return rest.held_by_window(self.server.process, self.server.port, client.local_port)

    def saw_reset(self, client: ScriptedClient) -> bool:
        """Linux: the server's side of `client`'s connection has taken in its reset (rest.connection_gone).
        False when unknown."""
        return rest.connection_gone(self.server.port, client.local_port)

    def cut_before_accepted(self) -> bool:
        """Linux: while the server is paused, a client connects and cuts its connection (a reset), and the
        kernel takes in both (the server's side listed, then gone) before the server runs again: going on,
        it accepts a connection already cut, and what it sends there fails, every run. False where that
        cannot be ordered."""
        port = self.server.port

        def listed(peer: int) -> bool:
            return wait_probing(lambda: procfs.unsent(port, peer) is not None, timing.PAUSE, [], timing.ALIVE_PROBE)

        with self.server.process.paused() as paused:
            peer = connect_then_reset(self.server.host, port, listed) if paused else None
            return peer is not None and wait_probing(
                lambda: rest.connection_gone(port, peer), timing.PAUSE, [], timing.ALIVE_PROBE
            )

    def hold_patience(self) -> float:
        """How long to wait for the server to be held writing to a client that reads nothing: until seen
        (holds_for, up to a relay's deadline), or, where it cannot be seen, timing.HOLD_FALLBACK. It only
        chooses when the next step comes (a reset, an arrival), which a correct server survives at any
        moment: never a verdict."""
        return self.track_record.relay_timeout() if procfs.available() else timing.HOLD_FALLBACK

    def first_match_or_rest(
        self,
        cursors: dict[LineSource, int],
        predicate: Callable[[str], bool],
        timeout: float,
        *,
        stop: Callable[[], bool] | None = None,
    ) -> tuple[LineSource, str] | None:
        """waiting.first_match, ended sooner once the server stays at rest (two looks in a row): what has
        not come by then will not come before a client acts, so its absence needs no deadline."""
        rest = SeenTwice(self.at_rest, every=timing.ALIVE_PROBE)
        return first_match(
            cursors,
            predicate,
            timeout,
            stop=lambda: (stop is not None and stop()) or rest(),
            also=[self.server.process],
            probe_s=timing.ALIVE_PROBE,
        )

    def wait_until(self, predicate: Callable[[], bool], timeout: float, sources: Iterable[Observable]) -> bool:
        """wait_for(predicate), ended sooner once the server stays at rest (see first_match_or_rest)."""
        return wait_or_rest(predicate, timeout, [*sources, self.server.process], self.at_rest, timing.ALIVE_PROBE)

    def wait_line_or_rest(
        self, source: LineSource, predicate: Callable[[str], bool], timeout: float, since: int = 0
    ) -> str | None:
        """source.wait_line, ended sooner once the server stays at rest (see first_match_or_rest)."""
        found = self.first_match_or_rest({source: since}, predicate, timeout)
        return found[1] if found else None

    # -- state ---------------------------------------------------------------------------------------
    def _sources(self) -> list[LineSource]:
        return [self.console, self.server.process.stderr, *self.clients]

    def _who(self, source: LineSource) -> str:
        if isinstance(source, ScriptedClient):
            return source.label
        return "La console du serveur" if source is self.console else "La sortie d'erreur du serveur"

    def _remember_marks(self) -> dict[LineSource, int]:
        self._marks = {source: source.mark() for source in self._sources()}
        return self._marks

    def _check_server_alive(self, when: str, *, wait: bool) -> None:
        """CheckFailure with the traceback if the server has stopped. With wait, give its exit a moment
        to be seen (a connection closed by a dying server is seen before its exit is)."""
        process = self.server.process
        code = self._exit_soon(process) if wait else process.poll()
        if code is None:
            return
        process.stderr.wait_eof(timing.DRAIN)
        fail(
            f"Le serveur s'est arrêté (code {code}) {when}.",
            received=process.traceback_tail() or process.stdout.tail(8) or None,
            hint="La trace d'erreur dit où le serveur a planté : un client qui part ou un envoi qui échoue "
            "ne doit pas arrêter le serveur (try/except autour de recv et sendall).",
        )

    @staticmethod
    def _exit_soon(process: StudentProcess) -> int | None:
        """The exit code if the process ends within timing.DRAIN (a connection closed by a dying server is seen
        before its exit is); None as soon as /proc shows it alive after that, back in its server loop
        (rest.serving), which a program on its way out never is."""
        wait_probing(
            lambda: process.poll() is not None or rest.serving(process), timing.DRAIN, [process], timing.ALIVE_PROBE
        )
        return process.poll()

    def close(self) -> None:
        """Close every client (FIN), then kill the server's process tree (idempotent)."""
        for client in self.clients:
            client.close()
        self.server.close()
