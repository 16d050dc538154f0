"""Starting the student's programs, with a French diagnosis when they cannot start."""

from __future__ import annotations

import functools
import io
import itertools
import re
import socket
import threading
import time
import tokenize
import warnings
from typing import NoReturn

from grader.formats import seconds

from . import procfs, rest, timing
from .errors import fail
from .exercise import CLIENT, HOST, SERVER
from .ports import free_port
from .process import MEMORY_EXHAUSTED, MEMORY_HINT, StudentProcess
from .workspace import Workspace, close_name

_CODING_DECLARATION = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)
PORT_ATTEMPTS = 3  # starts of a server whose port another program took in the meantime
ADDRESS_IN_USE = ("Address already in use", "EADDRINUSE", "WinError 10048")
SPINNING_LOOKS = 5  # /proc looks needed to call a server that never listens "spinning"...
SPINNING_SHARE = 0.8  # ...when at least this share of them found it computing
PORT_HINT = (
    "Lisez le port et l'hôte dans l'environnement : PORT = int(os.environ.get(\"CHAT_PORT\", 55555)) "
    'et HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1").'
)


# -- compiling ------------------------------------------------------------------------------------------
def check_compiles(workspace: Workspace, filename: str) -> None:
    """The file is there, not empty, in UTF-8 (or its declared encoding) and compiles. Never runs it."""
    if not workspace.has(filename):
        _fail_missing(workspace, filename)
    source = workspace.path(filename).read_bytes()
    if not source.strip():
        fail(f"Le fichier {filename} est vide.", hint="Enregistrez votre programme dans ce fichier.")
    try:
        text = source.decode(_declared_encoding(filename, source))
    except UnicodeDecodeError as exc:
        line_number = source.count(b"\n", 0, exc.start) + 1
        line = source.split(b"\n")[line_number - 1].decode("latin-1").strip()
        fail(
            f"{filename} n'est pas enregistré en UTF-8 (ligne {line_number} : « {line} »).",
            hint="Enregistrez le fichier en UTF-8 (dans l'éditeur : « Enregistrer sous » → encodage UTF-8) ; "
            "les accents enregistrés en Latin-1 ou Windows-1252 ne sont pas lus par Python.",
        )
    try:
        _compile(source, filename)
    except SyntaxError as exc:
        _fail_syntax(filename, exc, text)
    except ValueError:  # null bytes (Python < 3.12)
        _fail_null_bytes(filename)


@functools.lru_cache(maxsize=16)
def _compile(source: bytes, filename: str) -> None:
    """compile(), once for a given source: a grading starts each program a dozen times (an error is not
    kept, and is raised again at each start)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(source, filename, "exec", dont_inherit=True)


def _fail_missing(workspace: Workspace, filename: str) -> NoReturn:
    """Missing: said with why it was not copied (a link...) or the file of a close name that is there."""
    hint = f"Le fichier doit s'appeler exactement {filename} et se trouver directement dans « {workspace.source} »."
    left_out = [note for note in workspace.skipped if note.startswith(f"{filename} : ")]
    if left_out:
        fail(
            f"Le fichier {filename} n'a pas été pris dans le dossier rendu ({left_out[0].split(' : ', 1)[1]}).",
            hint="Rendez le fichier lui-même, pas un lien (raccourci) vers un fichier rangé ailleurs. " + hint,
        )
    found = close_name(filename, workspace.top_level_names())
    if found:
        fail(
            f"Le fichier {filename} est introuvable dans le dossier rendu, mais « {found} » y est.",
            hint=f"Renommez « {found} » en {filename}, exactement (minuscules, tiret bas, extension .py).",
        )
    fail(f"Le fichier {filename} est introuvable dans le dossier rendu.", hint=hint)


def _declared_encoding(filename: str, source: bytes) -> str:
    """The encoding Python would read the file with: its "coding:" declaration, else UTF-8."""
    try:
        return tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    except SyntaxError as exc:
        if not _CODING_DECLARATION.search(b"\n".join(source.split(b"\n")[:2])):
            return "utf-8"  # non-UTF-8 bytes on the first two lines, told as such by the caller
        fail(
            f"{filename} déclare un encodage que Python ne connaît pas ({exc.msg}).",
            hint="Retirez la ligne « coding: » et enregistrez le fichier en UTF-8.",
        )


def _fail_syntax(filename: str, exc: SyntaxError, text: str) -> NoReturn:
    if "null bytes" in (exc.msg or ""):
        _fail_null_bytes(filename)
    where = f"à la ligne {exc.lineno}" if exc.lineno else "(ligne inconnue)"
    if isinstance(exc, TabError):
        kind = "mélange de tabulations et d'espaces"
    elif isinstance(exc, IndentationError):
        kind = "erreur d'indentation"
    else:
        kind = "erreur de syntaxe"
    line = exc.text
    if line is None and exc.lineno and exc.lineno <= len(text.splitlines()):
        line = text.splitlines()[exc.lineno - 1]
    excerpt = _excerpt(line or "", exc)
    if isinstance(exc, IndentationError):
        hint = (
            "Après une ligne qui se termine par « : » (if, for, while, def, try...), le bloc est décalé "
            "de 4 espaces, toujours les mêmes ; ne mélangez pas tabulations et espaces."
        )
    else:
        hint = (
            f"Regardez la ligne {exc.lineno} et celle juste avant : une parenthèse, un crochet ou un "
            "guillemet non fermé, ou un « : » oublié en fin de ligne, sont souvent signalés plus loin."
        )
    fail(
        f"{filename} ne compile pas : {kind} {where}.{excerpt}\nMessage de Python : {exc.msg}",
        hint=hint,
    )


def _fail_null_bytes(filename: str) -> NoReturn:
    fail(
        f"{filename} contient des octets nuls : ce n'est pas un fichier texte Python.",
        hint="Enregistrez le programme en texte UTF-8 (pas en UTF-16 ni dans un format de traitement de texte).",
    )


def _excerpt(line: str, exc: SyntaxError) -> str:
    """The faulty line, indented, with a caret under the error (like Python's own message)."""
    line = line.rstrip("\r\n")
    stripped = line.lstrip(" \t\f")
    if not stripped:
        return ""
    if not exc.offset:
        return f"\n    {stripped}"
    start = min(max(exc.offset - 1 - (len(line) - len(stripped)), 0), len(stripped))
    end_offset = getattr(exc, "end_offset", None) or 0
    same_line = getattr(exc, "end_lineno", exc.lineno) == exc.lineno
    width = end_offset - exc.offset if same_line and end_offset > exc.offset else 1
    return f"\n    {stripped}\n    {' ' * start}{'^' * width}"


# -- the server -----------------------------------------------------------------------------------------
class RunningServer:
    """The student's server, listening; its readiness connection waits for the first client."""

    def __init__(self, process: StudentProcess, host: str, port: int, ready: socket.socket | None) -> None:
        self.process = process
        self.host = host
        self.port = port
        self._ready = ready
        self._lock = threading.Lock()

    def take_ready_socket(self) -> socket.socket | None:
        """The connection that proved the server ready (once; None afterwards)."""
        with self._lock:
            ready, self._ready = self._ready, None
        return ready

    def listening_ports(self) -> list[int]:
        """Linux: the TCP ports the server's process tree listens on; [] elsewhere."""
        return procfs.listening_ports(self.process.tree_pids())

    def close(self) -> None:
        """Close the readiness connection if nobody took it, then kill the server's tree (idempotent)."""
        ready = self.take_ready_socket()
        if ready is not None:
            ready.close()
        self.process.kill_tree()


def start_server(workspace: Workspace, *, timeout: float = timing.START, processes: int | None = None) -> RunningServer:
    """Compile, start, and wait until the server accepts a TCP connection on CHAT_PORT. `processes`: its
    ceiling of processes and threads, where one applies (None: the grading's).

    A free port is only free when it is handed out: another program (another grading run) may take it
    before the student's server binds it. Seen (the server fails with "address already in use", or what
    answers on the port is not the student's server), the server is started again on another port.
    The process tree is killed before any CheckFailure, which carries the diagnosis."""
    check_compiles(workspace, SERVER)
    attempts = itertools.count(1)
    while True:
        may_retry = next(attempts) < PORT_ATTEMPTS
        port = free_port()
        process = StudentProcess.start(workspace.new_workdir(), SERVER, port=port, label="serveur", processes=processes)
        try:
            return RunningServer(process, HOST, port, _connect_when_listening(process, port, timeout, may_retry))
        except _PortTaken:
            process.kill_tree()
        except BaseException:
            process.kill_tree()
            raise


class _PortTaken(Exception):
    """The port given to the server was taken by another program in the meantime."""


def _connect_when_listening(process: StudentProcess, port: int, timeout: float, may_retry: bool) -> socket.socket:
    deadline = time.monotonic() + timeout
    probe = _StartProbe(process, port)
    while True:
        if process.poll() is not None:
            process.kill_tree()  # its children too; the pipes are drained to their end
            if may_retry and any(mark in process.stderr.text() for mark in ADDRESS_IN_USE):
                raise _PortTaken
            _fail_exited(process, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            probe.fail_at_deadline(timeout)
        try:
            ready = socket.create_connection((HOST, port), timeout=min(timing.READY_ATTEMPT, remaining))
        except OSError as error:  # refused (not listening yet) or no answer (backlog full)
            probe.look(refused=isinstance(error, ConnectionRefusedError))
            process.wait_exit(min(timing.READY_RETRY, remaining))
            continue
        if procfs.listener_is_among(port, process.tree_pids()) is False:
            ready.close()
            if may_retry:
                raise _PortTaken
            fail(
                f"Le port {port} donné au serveur (CHAT_PORT) est pris par un autre programme : relancez la correction."
            )
        return ready


class _StartProbe:
    """Linux: a look in /proc now and then (timing.START_PROBE) at a server that does not accept yet.

    A server that listens on another port or address, or whose main thread waits for a keyboard line
    while nothing listens, will not become ready by itself: once that has lasted timing.START_GRACE
    (so that a server about to listen is not failed), it is told at once instead of at the deadline.
    Each look also notes whether the server was computing (a loop without end shows it at nearly every
    look, however busy the machine is)."""

    def __init__(self, process: StudentProcess, port: int) -> None:
        self.process = process
        self.port = port
        self.refused = False  # the last connection attempt was refused (not merely unanswered)
        self._next_look = time.monotonic()
        self._seen: tuple[tuple[str, str], float] | None = None  # (diagnosis, since when)
        self._looks = 0
        self._running = 0  # looks that found the main thread computing

    def look(self, *, refused: bool) -> None:
        self.refused = refused
        now = time.monotonic()
        if now < self._next_look or not procfs.available():
            return
        self._next_look = now + timing.START_PROBE
        self._looks += 1
        self._running += procfs.running(self.process.pid)
        diagnosis = self._diagnosis()
        if diagnosis is None:
            self._seen = None
        elif self._seen is None or self._seen[0] != diagnosis:
            self._seen = (diagnosis, now)
        elif now - self._seen[1] >= timing.START_GRACE:
            self._fail(diagnosis)

    def fail_at_deadline(self, timeout: float) -> NoReturn:
        diagnosis = self._diagnosis() if procfs.available() else None
        if diagnosis is not None:
            self._fail(diagnosis)
        self.process.kill_tree()
        where = "n'écoute sur aucun port" if procfs.available() else f"n'écoute pas sur le port {self.port} (CHAT_PORT)"
        summary = f"Le serveur {where} au bout de {seconds(timeout)} s."
        if self.process.memory_exhausted():
            fail(f"{summary} Pendant ce temps, {MEMORY_EXHAUSTED}.", received=_printed(self.process), hint=MEMORY_HINT)
        if self._looks >= SPINNING_LOOKS and self._running >= SPINNING_SHARE * self._looks:
            summary += " Pendant ce temps, il calculait sans arrêt : une boucle sans fin avant listen() ?"
        fail(
            summary,
            received=_printed(self.process),
            hint="Appelez bind() puis listen() dès le démarrage, avant toute attente (input(), boucle sans "
            "fin, time.sleep...). " + PORT_HINT,
        )

    def _fail(self, diagnosis: tuple[str, str]) -> NoReturn:
        self.process.kill_tree()
        summary, hint = diagnosis
        fail(summary, received=_printed(self.process), hint=hint)

    def _diagnosis(self) -> tuple[str, str] | None:
        """(French summary, hint) when the server listens elsewhere or waits for the keyboard."""
        ports = procfs.listening_ports(self.process.tree_pids())
        if self.port in ports and self.refused:
            return (
                f"Le serveur écoute sur le port {self.port}, mais pas à l'adresse 127.0.0.1 : la connexion est "
                "refusée.",
                PORT_HINT,
            )
        if self.port in ports:  # no answer at all: the queue of connections waiting for accept() is full
            return (
                f"Le serveur écoute sur le port {self.port} mais ne répond pas : les connexions en attente "
                "d'accept() ne sont jamais acceptées.",
                "Après listen(), une boucle « while True: » appelle accept() sans cesse, et sert chaque client "
                "dans son propre thread.",
            )
        if ports:
            listed = ", ".join(str(p) for p in ports)
            return (
                f"Le serveur n'écoute pas sur le port {self.port} donné par CHAT_PORT : il écoute sur le port "
                f"{listed}.",
                PORT_HINT,
            )
        if rest.waiting_at_keyboard(self.process):
            return (
                "Le serveur n'écoute pas : il attend qu'on tape quelque chose au clavier (input() ou sys.stdin) "
                "avant d'appeler listen(), et personne ne tapera rien.",
                "Appelez bind() puis listen() dès le démarrage ; les réglages viennent de l'environnement, pas "
                "du clavier. " + PORT_HINT,
            )
        return None


def _printed(process: StudentProcess) -> str | None:
    return process.stdout.tail(8) or process.traceback_tail() or None


def _fail_exited(process: StudentProcess, port: int) -> NoReturn:
    code = process.poll()
    if process.memory_exhausted():
        fail(
            f"Le serveur s'est arrêté au démarrage (code {code}) : {MEMORY_EXHAUSTED}.",
            received=process.traceback_tail() or None,
            hint=MEMORY_HINT,
        )
    if process.has_traceback():
        fail(
            f"Le serveur s'est arrêté au démarrage (code {code}) sans écouter sur le port {port}.",
            received=process.traceback_tail(),
            hint="La dernière ligne de la trace dit quelle erreur s'est produite, les lignes « Fichier …, ligne … » "
            "disent où.",
        )
    printed = process.stdout.tail(8) or process.stderr.tail(8) or None
    fail(
        f"Le serveur s'est terminé tout de suite (code {code}) sans écouter sur le port {port}.",
        received=printed,
        hint="Le serveur doit rester en vie : après bind() et listen(), une boucle « while True: » "
        "accepte les clients un par un avec accept(). Si rien ne s'exécute, vérifiez la condition "
        'if __name__ == "__main__": (deux tirets bas de chaque côté).',
    )


# -- the client -----------------------------------------------------------------------------------------
def start_client(workspace: Workspace, server_port: int) -> StudentProcess:
    """Compile and start the student's client, pointed (CHAT_PORT) at the grader's scripted server."""
    check_compiles(workspace, CLIENT)
    return StudentProcess.start(workspace.new_workdir(), CLIENT, port=server_port, label="client")
