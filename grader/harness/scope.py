"""Everything one check started: evidence for its failure message, and teardown."""

from __future__ import annotations

from typing import TypeVar

from .client_session import ClientSession
from .connection import LineConnection, ScriptedServer
from .lines import printable
from .output import BLOCK_LINES, OutputStream
from .process import StudentProcess
from .room import ChatRoom
from .student import RunningServer

T = TypeVar("T")
COMPACT_LINES = 8
TRACEBACK_LINES = 12
LEGEND = "(→ envoyé par le correcteur, ← reçu par le correcteur)"


class CheckScope:
    """What a check tracked; closed in reverse order at teardown, even when the check failed."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.remarks: list[str] = []
        self._things: list[object] = []
        self._closed = False

    def track(self, thing: T) -> T:
        self._things.append(thing)
        return thing

    def remark(self, text: str) -> None:
        """A remark shown with a pass (e.g. a separator that is not exactly " : ")."""
        text = printable(text)
        if text not in self.remarks:
            self.remarks.append(text)

    # -- evidence ------------------------------------------------------------------------------------
    def evidence(self) -> str:
        """French: each connection's transcript, each process's output and traceback; the last lines
        only, unless verbose."""
        connections, processes = self._parts()
        sections = [self._transcript(connection) for connection in connections]
        sections = [section for section in sections if section]
        if sections:
            sections.insert(0, LEGEND)
        for process in processes:
            sections.extend(self._process_sections(process))
        return printable("\n".join(sections))

    def _parts(self) -> tuple[list[LineConnection], list[StudentProcess]]:
        connections: list[LineConnection] = []
        processes: list[StudentProcess] = []
        for thing in self._things:
            if isinstance(thing, ChatRoom):
                connections.extend(thing.clients)
                processes.append(thing.server.process)
            elif isinstance(thing, ClientSession):
                connections.extend(thing.server.connections)
                processes.append(thing.process)
            elif isinstance(thing, ScriptedServer):
                connections.extend(thing.connections)
            elif isinstance(thing, RunningServer):
                processes.append(thing.process)
            elif isinstance(thing, LineConnection):
                connections.append(thing)
            elif isinstance(thing, StudentProcess):
                processes.append(thing)
        return _unique(connections), _unique(processes)

    def _transcript(self, connection: LineConnection) -> str:
        entries = connection.transcript()
        if not entries:
            return ""
        return self._section(f"{connection.label} — échanges", entries)

    def _process_sections(self, process: StudentProcess) -> list[str]:
        who = process.label
        sections = [self._section(_title(f"Sortie du {who}", process.stdout), _lines(process.stdout))]
        if self.verbose or not process.has_traceback():
            sections.append(self._section(_title(f"Erreurs du {who}", process.stderr), _lines(process.stderr)))
        if process.has_traceback():
            trace = process.traceback_tail(BLOCK_LINES if self.verbose else TRACEBACK_LINES)
            sections.append(_section(f"Trace d'erreur du {who}", trace.splitlines(), cut=False))
        return [section for section in sections if section]

    def _section(self, title: str, lines: list[str]) -> str:
        """All the lines when verbose, else the last COMPACT_LINES."""
        if self.verbose or len(lines) <= COMPACT_LINES:
            return _section(title, lines, cut=False)
        return _section(title, lines[-COMPACT_LINES:], cut=True)

    # -- teardown ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close everything tracked, last tracked first (idempotent). Every close is attempted; the
        first error, if any, is raised after."""
        if self._closed:
            return
        self._closed = True
        first_error: BaseException | None = None
        for thing in reversed(self._things):
            close = getattr(thing, "close", None)
            if close is None:
                continue
            try:
                close()
            except BaseException as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def __enter__(self) -> CheckScope:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _unique(items: list[T]) -> list[T]:
    seen: set[int] = set()
    unique = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            unique.append(item)
    return unique


def _lines(stream: OutputStream) -> list[str]:
    """The kept text of a stream as lines (head, omission mark, tail, unfinished line)."""
    text = stream.text()
    return text.splitlines() if text else []


def _title(title: str, stream: OutputStream) -> str:
    """The title of a stream's section; a flood (only its ends were kept) is said with its size."""
    if not stream.truncated:
        return title
    count = f"{stream.total_bytes:,}".replace(",", " ")
    return f"{title}, {count} octets en tout"


def _section(title: str, lines: list[str], *, cut: bool) -> str:
    if not lines:
        return ""
    heading = f"{title} (dernières lignes) :" if cut else f"{title} :"
    return "\n".join([heading, *(f"  {line}" for line in lines)])
