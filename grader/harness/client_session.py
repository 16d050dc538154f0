"""Driving the student's client against the grader's scripted server."""

from __future__ import annotations

from grader.formats import seconds

from . import procfs, rest, timing
from .connection import LineConnection, ScriptedServer
from .errors import fail
from .process import StudentProcess
from .student import PORT_HINT, start_client
from .waiting import wait_for
from .workspace import Workspace


class ClientSession:
    """The student's client (stdin typed into, stdout read) and the scripted server it talks to."""

    def __init__(self, server: ScriptedServer, process: StudentProcess) -> None:
        self.server = server
        self.process = process

    @classmethod
    def start(cls, workspace: Workspace) -> ClientSession:
        server = ScriptedServer()
        try:
            process = start_client(workspace, server.port)
        except BaseException:
            server.close()
            raise
        return cls(server, process)

    def at_rest(self) -> bool:
        """Linux: nothing more can come from the client until something is typed or sent to it. Every
        thread of the client waits with no deadline for input, no byte is on its way to or from the
        scripted server, and the grader has taken in all it sent and printed. False when unknown."""
        return rest.at_rest(self.process, self.server.port, self.server.connections)

    def type_line(self, text: str) -> None:
        """Type a line on the client's stdin; CheckFailure if it cannot be typed."""
        if self.process.type_line(text):
            return
        code = self.process.wait_exit(timing.DRAIN) if self.process.stdin_broken else self.process.poll()
        if code is not None:
            self.process.stderr.wait_eof(timing.DRAIN)
            fail(
                f"Impossible de taper « {text} » : le client s'est arrêté (code {code}).",
                received=self.process.traceback_tail() or self.process.stdout.tail(8) or None,
            )
        fail(
            f"Le client ne lit pas ce qui est tapé : « {text} » n'a pas pu être écrit sur son entrée "
            f"standard en {seconds(timing.TYPE)} s.",
            hint="Le client lit le clavier avec input(), dans une boucle.",
        )

    def wait_prompt(self, timeout: float) -> bool:
        """True once the client has printed something (its name prompt), even without "\\n"."""
        return self.process.stdout.wait_text(lambda text: bool(text.strip()), timeout)

    def accept(self, timeout: float) -> LineConnection:
        """The client's connection to the scripted server; CheckFailure if it never comes."""
        connection = wait_for(
            lambda: self.server.next_connection() or self.process.poll() is not None,
            timeout,
            [self.server, self.process],
        )
        if isinstance(connection, LineConnection):
            return connection
        code = self.process.poll()
        target = f"127.0.0.1, port {self.server.port} donné par CHAT_PORT"
        if code is not None:
            self.process.stderr.wait_eof(timing.DRAIN)
            trace = self.process.traceback_tail()
            summary = f"Le client s'est arrêté (code {code}) sans se connecter au serveur (port {self.server.port})."
            if "ConnectionRefusedError" in trace:
                summary = (
                    f"Le client s'est arrêté (code {code}) sans se connecter au serveur : sa connexion a été "
                    f"refusée, il ne vise pas le serveur du correcteur ({target})."
                )
            fail(summary, received=trace or self.process.stdout.tail(8) or None, hint=PORT_HINT)
        elsewhere = [port for port in procfs.remote_ports(self.process.tree_pids()) if port != self.server.port]
        if elsewhere:
            listed = ", ".join(str(port) for port in elsewhere)
            fail(
                f"Le client s'est connecté ailleurs (port {listed}) qu'au serveur du correcteur ({target}).",
                received=self.process.stdout.tail(8) or None,
                hint=PORT_HINT,
            )
        fail(
            f"Le client ne s'est pas connecté au serveur ({target}) en {seconds(timeout)} s.",
            received=self.process.stdout.tail(8) or None,
            hint=PORT_HINT + " Le client se connecte au démarrage, ou juste après avoir lu le nom.",
        )

    def close(self) -> None:
        """Kill the client's process tree, then close the scripted server (idempotent)."""
        self.process.kill_tree()
        self.server.close()
