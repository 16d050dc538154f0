"""Starting the student's programs, with a French diagnosis when they cannot start."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
import tokenize
import warnings
from typing import NoReturn

from . import procfs, timing
from .errors import fail
from .french import seconds
from .process import StudentProcess
from .workspace import Workspace

SERVER = "serveur_exo.py"
CLIENT = "client_exo.py"
HOST = "127.0.0.1"
_CODING_DECLARATION = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)
PORT_HINT = (
    'Lisez le port et l\'hôte dans l\'environnement : PORT = int(os.environ.get("CHAT_PORT", 55555)) '
    'et HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1").'
)


# -- compiling ------------------------------------------------------------------------------------------
def check_compiles(workspace: Workspace, filename: str) -> None:
    """The file is there, not empty, in UTF-8 (or its declared encoding) and compiles. Never runs it."""
    if not workspace.has(filename):
        fail(
            f"Le fichier {filename} est introuvable dans le dossier rendu.",
            hint=f"Le fichier doit s'appeler exactement {filename} et se trouver directement dans "
            f"« {workspace.source} ».",
        )
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        _fail_syntax(filename, exc, text)
    except ValueError:  # null bytes (Python < 3.12)
        _fail_null_bytes(filename)


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(workspace: Workspace, *, timeout: float = timing.START) -> RunningServer:
    """Compile, start, and wait until the server accepts a TCP connection on CHAT_PORT.

    The process tree is killed before any CheckFailure, which carries the diagnosis."""
    check_compiles(workspace, SERVER)
    port = free_port()
    process = StudentProcess.start(workspace.new_workdir(), SERVER, port=port, label="serveur")
    try:
        ready = _connect_when_listening(process, port, timeout)
    except BaseException:
        process.kill_tree()
        raise
    return RunningServer(process, HOST, port, ready)


def _connect_when_listening(process: StudentProcess, port: int, timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            _fail_exited(process, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _fail_not_listening(process, port, timeout)
        try:
            return socket.create_connection((HOST, port), timeout=min(timing.READY_ATTEMPT, remaining))
        except OSError:  # refused (not listening yet) or no answer (backlog full)
            process.wait_exit(min(timing.READY_RETRY, remaining))


def _fail_exited(process: StudentProcess, port: int) -> NoReturn:
    code = process.poll()
    process.kill_tree()  # its children too; the pipes are drained to their end
    if process.has_traceback():
        fail(
            f"Le serveur s'est arrêté au démarrage (code {code}) sans écouter sur le port {port}.",
            received=process.traceback_tail(),
            hint="La dernière ligne de la trace dit quelle erreur s'est produite, les lignes « File … line … » "
            "disent où.",
        )
    printed = process.stdout.tail(8) or process.stderr.tail(8) or None
    fail(
        f"Le serveur s'est terminé tout de suite (code {code}) sans écouter sur le port {port}.",
        received=printed,
        hint="Le serveur doit rester en vie : après bind() et listen(), une boucle « while True: » "
        "accepte les clients un par un avec accept().",
    )


def _fail_not_listening(process: StudentProcess, port: int, timeout: float) -> NoReturn:
    ports = procfs.listening_ports(process.tree_pids())
    process.kill_tree()
    printed = process.stdout.tail(8) or process.traceback_tail() or None
    delay = seconds(timeout)
    if port in ports:
        fail(
            f"Le serveur écoute sur le port {port}, mais pas à l'adresse 127.0.0.1 : la connexion n'a pas "
            f"abouti en {delay} s.",
            received=printed,
            hint=PORT_HINT,
        )
    if ports:
        listed = ", ".join(str(p) for p in ports)
        fail(
            f"Le serveur n'écoute pas sur le port {port} donné par CHAT_PORT : au bout de {delay} s, "
            f"il écoute sur le port {listed}.",
            received=printed,
            hint=PORT_HINT,
        )
    where = "n'écoute sur aucun port" if procfs.available() else f"n'écoute pas sur le port {port} (CHAT_PORT)"
    fail(
        f"Le serveur {where} au bout de {delay} s.",
        received=printed,
        hint="Appelez bind() puis listen() dès le démarrage, avant toute attente (input(), boucle sans "
        "fin, time.sleep...). " + PORT_HINT,
    )


# -- the client -----------------------------------------------------------------------------------------
def start_client(workspace: Workspace, server_port: int) -> StudentProcess:
    """Compile and start the student's client, pointed (CHAT_PORT) at the grader's scripted server."""
    check_compiles(workspace, CLIENT)
    return StudentProcess.start(workspace.new_workdir(), CLIENT, port=server_port, label="client")
