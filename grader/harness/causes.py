"""The first real cause of a failed scenario, read from what the student's program said and did.

A scenario that fails is explained by what the program did before what it did not do: it ended, it
printed a traceback, it sent bytes without an end of line. Each helper here names one of those causes,
in French, with the hint of that cause (a ConnectionResetError is not told as a threading problem).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from . import student_source, timing
from .connection import LineConnection
from .matching import contains_message
from .process import TRACEBACK_MARKERS, StudentProcess

RESET_HINT = (
    "Une connexion peut être coupée brutalement : recv() et sendall() lèvent alors ConnectionResetError "
    "ou BrokenPipeError. Entourez-les d'un try/except OSError et traitez ce cas comme un départ normal "
    "(retirer le client de la liste, fermer sa connexion) : un envoi raté vers un client ne doit jamais "
    "arrêter le thread de celui qui parle."
)
LOCK_HINT = (
    "Protégez la liste des clients par un verrou (threading.Lock) : la modifier pendant qu'un autre thread "
    "la parcourt perd des messages ou lève une erreur (parcourez une copie, prise sous le verrou) ; et "
    "rattrapez les erreurs d'une connexion coupée (try/except OSError)."
)
UTF8_HINT = (
    'Décodez ce que vous recevez avec .decode("utf-8") et encodez ce que vous envoyez avec '
    '.encode("utf-8") : ni "ascii", ni "latin-1", ni errors="ignore" ou "replace" à l\'envoi.'
)
TRACE_HINT = (
    "La dernière ligne de la trace d'erreur dit quelle instruction a échoué, et pourquoi : un client qui "
    "part ou un envoi qui échoue ne doit pas arrêter le serveur (try/except OSError autour de recv et sendall)."
)
KEEP_OPEN_HINT = (
    "Gardez la connexion de chaque client ouverte jusqu'à son départ (dans le dictionnaire des clients) : "
    "après le nom, le thread du client doit recevoir ses messages en boucle, et ne fermer la connexion "
    'qu\'au départ du client (quand recv() renvoie b"").'
)
NEWLINE_HINT = 'Terminez chaque ligne envoyée aux clients par « \\n » : f"{nom} : {message}\\n".'

_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")
# The exception of a traceback -> the hint of that fault, first match wins.
_HINTS_BY_EXCEPTION = (
    (re.compile(r"BrokenPipe|ConnectionReset|ConnectionAborted|Errno (32|104)\b"), RESET_HINT),
    (re.compile(r"changed size during iteration|not in list|KeyError"), LOCK_HINT),
    (re.compile(r"Unicode(De|En)codeError|codec can't"), UTF8_HINT),
)


@dataclass(frozen=True)
class Cause:
    """One cause, told to the student: what happened, what shows it, what to change."""

    summary: str
    received: str
    hint: str


def hint_for(error: str) -> str:
    """The hint for an exception line ("BrokenPipeError: [Errno 32] Broken pipe")."""
    return next((hint for pattern, hint in _HINTS_BY_EXCEPTION if pattern.search(error)), TRACE_HINT)


def traceback_seen(process: StudentProcess) -> bool:
    """The program printed an unhandled traceback, on stderr or on stdout."""
    return process.has_traceback() or any(marker in process.stdout.text() for marker in TRACEBACK_MARKERS)


def error_line(process: StudentProcess) -> str:
    """The exception line of the program's first traceback ("ConnectionResetError: …"), once written (a
    traceback is printed line by line: its last line may come a moment after its first)."""
    stream = process.stderr if process.has_traceback() else process.stdout
    found = stream.wait_line(lambda line: bool(_EXCEPTION_LINE.match(line)), timing.DRAIN)
    return found or stream.tail(1)


def crash(process: StudentProcess, situation: str) -> Cause | None:
    """The server ended, or one of its threads died with a traceback: the first cause of anything that
    went missing afterwards. None when neither happened."""
    code = process.poll()
    if code is not None:
        process.stderr.wait_eof(timing.DRAIN)
        trace = process.traceback_tail()
        return Cause(
            f"Le serveur s'est arrêté (code {code}) {situation}.",
            trace or process.stdout.tail(8) or "rien",
            hint_for(trace) if trace else TRACE_HINT,
        )
    if traceback_seen(process):
        error = error_line(process)
        return Cause(
            f"Le serveur a affiché une erreur non rattrapée (Traceback) {situation} : « {error} ».",
            error,
            hint_for(error),
        )
    return None


def arrived(connection: LineConnection, text: str, since: int = 0) -> bool:
    """The text reached this connection since `since`, in a whole line or in bytes still without end of line."""
    return any(contains_message(line, text) for line in connection.lines(since)) or contains_message(
        connection.partial(), text
    )


def unterminated(connection: LineConnection, text: str) -> bool:
    """The text reached this connection only in bytes that no end of line has closed yet."""
    return contains_message(connection.partial(), text)


def thread_per_client(source: Path) -> bool:
    """The server's file starts a thread in the function (or module body) that accepts clients. Read from
    its source, for a hint only: a server that closes a client's connection right after its name, with a
    thread per client, is missing the message loop (not the thread)."""
    tree = student_source.parse(source)
    if tree is None:
        return False
    holders: list[ast.AST] = [tree, *(node for node in ast.walk(tree) if isinstance(node, student_source.FUNCTIONS))]
    return any(
        "accept" in called and bool(called & {"Thread", "start_new_thread"})
        for called in (student_source.names_called(holder, nested=False) for holder in holders)
    )
