"""The fair scenario driver of the server checks: scripted clients around the student's server.

Fairness: a line is sent only once the previous one has been seen by its recipients (or logged by the
server), as a person typing would, so only S10/S11 test a server's line framing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import NoReturn

from . import timing
from .connection import ScriptedClient
from .errors import CheckFailure, fail
from .french import de, seconds
from .matching import contains_message, diagnose_relay
from .output import OutputStream
from .student import RunningServer, start_server
from .waiting import LineSource, first_line
from .workspace import Workspace

NEWLINE_HINT = "Terminez chaque message envoyé aux clients par « \\n » : f\"{nom} : {message}\\n\"."


class ChatRoom:
    """The student's server and the scripted clients that joined it."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.console: OutputStream = server.process.stdout
        self.clients: list[ScriptedClient] = []
        self.join_evidence: bool | None = None  # None: no join yet; False: this server never showed one
        self._marks: dict[LineSource, int] = {}  # every source's mark before the last action

    @classmethod
    def start(cls, workspace: Workspace) -> ChatRoom:
        return cls(start_server(workspace))

    # -- joining -------------------------------------------------------------------------------------
    def join(self, name: str) -> ScriptedClient:
        """Connect, send the name, and wait for evidence that the server took it: a console line
        containing the name (after the send), or a line containing it at any connected client.

        Deadline timing.JOIN. A server that gives no such evidence is not failed here: the room
        carries on, remembers it, and gives later joins only timing.JOIN_FALLBACK. That degraded path
        only concerns servers that do not log joins (they fail S02 anyway)."""
        marks = self._remember_marks()
        client = self._connect(name, send_name=True)
        timeout = timing.JOIN if self.join_evidence is not False else timing.JOIN_FALLBACK
        sources = {source: marks.get(source, 0) for source in self._sources()}
        found = first_line(
            sources,
            lambda line: name in line,
            timeout,
            # no evidence can come once the server has ended or closed this very connection
            stop=lambda: client.closed or self.server.process.poll() is not None,
            also=[self.server.process],
        )
        if found is None:
            self._check_server_alive(f"après la connexion {de(name)}", wait=self.console.at_eof)
        if found is not None or self.join_evidence is None:
            self.join_evidence = found is not None
        return client

    def connect_silent(self) -> ScriptedClient:
        """A connection that sends nothing (the first one reuses the readiness connection)."""
        self._remember_marks()
        return self._connect("", send_name=False)

    def _connect(self, name: str, *, send_name: bool) -> ScriptedClient:
        ready = self.server.take_ready_socket()
        try:
            client = ScriptedClient.connect(
                self.server.host, self.server.port, name, sock=ready, send_name=send_name
            )
        except CheckFailure:
            self._check_server_alive(f"avant la connexion {de(name or 'un client')}", wait=True)
            raise
        self.clients.append(client)
        return client

    # -- talking -------------------------------------------------------------------------------------
    def say(
        self, sender: ScriptedClient, message: str, recipients: list[ScriptedClient]
    ) -> dict[ScriptedClient, str]:
        """Send `message` from sender, then wait (timing.RELAY in all) until every recipient received a
        line containing it, or, with no recipient, until the console logged it.

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
        deadline = time.monotonic() + timing.RELAY
        received: dict[ScriptedClient, str] = {}
        for recipient in recipients:
            line = recipient.wait_line(
                lambda text: contains_message(text, message),
                deadline - time.monotonic(),
                since=marks.get(recipient, 0),
            )
            if line is None:
                self._fail_relay(sender, message, recipient, marks.get(recipient, 0))
            received[recipient] = line
        return received

    def _wait_logged(self, sender: ScriptedClient, message: str, mark: int) -> None:
        found = self.console.wait_line(lambda line: contains_message(line, message), timing.RELAY, since=mark)
        if found is not None:
            return
        self._check_server_alive(f"après le message {de(sender.label)}", wait=True)
        fail(
            f"La console du serveur n'a pas affiché le message {de(sender.label)} en "
            f"{seconds(timing.RELAY)} s.",
            sent=f"{sender.label} → « {message} »",
            expected=f"{sender.name} : {message}",
            received=self.console.tail(8) or "rien",
            hint="Le serveur affiche chaque message reçu avec print(f\"{nom} : {message}\").",
        )

    def _fail_relay(
        self, sender: ScriptedClient, message: str, recipient: ScriptedClient, mark: int
    ) -> NoReturn:
        self._check_server_alive(f"après le message {de(sender.label)}", wait=recipient.closed)
        lines = recipient.lines(mark)
        partial = recipient.partial()
        if contains_message(partial, message):
            summary = f"Le message {de(sender.label)} est arrivé à {recipient.label} sans fin de ligne."
            hint = NEWLINE_HINT
        else:
            if recipient.closed:
                summary = (
                    f"Le serveur a fermé la connexion {de(recipient.label)} avant qu'il reçoive le message "
                    f"{de(sender.label)}."
                )
            else:
                summary = (
                    f"Le message {de(sender.label)} n'est pas arrivé à {recipient.label} en "
                    f"{seconds(timing.RELAY)} s."
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

    def console_command(self, text: str) -> None:
        """Type a line on the server's stdin (e.g. "/kick Bob")."""
        self._remember_marks()
        if not self.server.process.type_line(text):
            self._check_server_alive(f"avant la commande « {text} »", wait=True)
            fail(
                f"La commande « {text} » n'a pas pu être tapée sur l'entrée standard du serveur.",
                hint="Le serveur lit ses commandes avec input() dans un thread à part.",
            )

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
        code = process.wait_exit(timing.DRAIN) if wait else process.poll()
        if code is None:
            return
        process.stderr.wait_eof(timing.DRAIN)
        fail(
            f"Le serveur s'est arrêté (code {code}) {when}.",
            received=process.traceback_tail() or process.stdout.tail(8) or None,
            hint="La trace d'erreur dit où le serveur a planté : un client qui part ou un envoi qui échoue "
            "ne doit pas arrêter le serveur (try/except autour de recv et sendall).",
        )

    def close(self) -> None:
        """Close every client (FIN), then kill the server's process tree (idempotent)."""
        for client in self.clients:
            client.close()
        self.server.close()

