"""Everything one check started: evidence for its failure message, and teardown."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from grader.model import Arrow, CheckResult, Evidence

from . import procfs
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


@dataclass(frozen=True)
class LateEnd:
    """How a check's last step ended when it ran after the check function returned (`finish_later`):
    `error`, its failure (a CheckFailure) or an error of the grader (in the step or at teardown), with the
    evidence and the arrows of the failure as they were before the scope was closed; `at`, when the
    scope was closed (time.monotonic())."""

    error: BaseException | None
    evidence: tuple[Evidence, ...]
    arrows: tuple[Arrow, ...]
    at: float


class CheckScope:
    """What a check tracked; closed in reverse order at teardown, even when the check failed."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.remarks: list[str] = []
        self._things: list[object] = []
        self._closed = False
        self._last_step: Callable[[], None] | None = None
        self._finishing: threading.Thread | None = None
        self._late_end: LateEnd | None = None

    def track(self, thing: T) -> T:
        self._things.append(thing)
        return thing

    def remark(self, text: str) -> None:
        """A remark shown with a pass (e.g. a separator that is not exactly " : ")."""
        text = printable(text)
        if text not in self.remarks:
            self.remarks.append(text)

    # -- evidence ------------------------------------------------------------------------------------
    def evidence_sections(self) -> list[Evidence]:
        """Everything that may prove a failure, complete: each connection's exchanges, each program's
        output, errors, tracebacks (as the student reads them) and where its threads wait."""
        connections, processes = self._parts()
        sections = [
            Evidence("echanges", f"{connection.label} — échanges", tuple(connection.transcript()))
            for connection in connections
        ]
        for process in processes:
            who = process.label
            waits = process.where_it_waits()
            for kind, title, stream in (("sortie", "Sortie", process.stdout), ("erreurs", "Erreurs", process.stderr)):
                sections.append(Evidence(kind, _title(f"{title} du {who}", stream), tuple(_lines(stream))))
            if process.has_traceback():
                trace = process.traceback_tail(BLOCK_LINES)
                sections.append(Evidence("trace", f"Trace d'erreur du {who}", tuple(trace.splitlines())))
            sections.append(Evidence("attente", f"Où le {who} attend (relevé par le correcteur)", tuple(waits)))
        return [section for section in sections if section.lines]

    def arrows(self) -> list[Arrow]:
        """Every line exchanged with the student's program, all connections merged in time order."""
        timed: list[tuple[float, Arrow]] = []
        for connection in self._parts()[0]:
            for when, entry in connection.timed_transcript():
                timed.append((when, Arrow(connection.label, entry.startswith("→"), entry[2:])))
        timed.sort(key=lambda pair: pair[0])
        return [arrow for _, arrow in timed]

    def proof(self) -> tuple[tuple[Evidence, ...], tuple[Arrow, ...]]:
        """What proves a failure, asked now, while its programs still run: the evidence and the arrows."""
        return tuple(self.evidence_sections()), tuple(self.arrows())

    def evidence(self) -> str:
        """French: each connection's transcript, each process's output and traceback; the last lines
        only, unless verbose."""
        return printable("\n".join(format_evidence(self.evidence_sections(), verbose=self.verbose)))

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

    # -- the last step ---------------------------------------------------------------------------------
    def finish_later(self, step: Callable[[], None], *, now: Callable[[], bool]) -> None:
        """The check's last step: a wait for what may still come from its programs (a traceback...). Where
        /proc is read, a rest of the program ends that wait as soon as nothing more can come, and `step`
        runs now; so it does when `now()` tells that it will not wait (what it waits for has come).
        Elsewhere only its full deadline ends it: `step` runs after the check function returned, in a
        thread of its own while the next checks run, and this scope is closed after it (`close`); the
        plugin fails the check by `late_end()`. Nothing the check does after this call may act on its
        programs where /proc is not read."""
        if procfs.available() or now():
            step()
        else:
            self._last_step = step

    def finishing(self) -> bool:
        """Whether a last step put off by `finish_later` still runs (its scope is not closed yet)."""
        return self._finishing is not None and self._finishing.is_alive()

    def late_end(self) -> LateEnd | None:
        """How the last step put off by `finish_later` ended, once it has (waited for: it is bounded by its
        own deadline and teardown's); None when none was put off."""
        if self._finishing is not None:
            self._finishing.join()
        return self._late_end

    def _finish(self, step: Callable[[], None]) -> None:
        error: BaseException | None = None
        evidence: tuple[Evidence, ...] = ()
        arrows: tuple[Arrow, ...] = ()
        try:
            step()
        except BaseException as exc:
            error = exc
            try:
                evidence, arrows = self.proof()
            except BaseException as lost:  # the grader's own error: the check ends in an internal error
                error = lost
        try:
            self._close_tracked()
        except BaseException as exc:
            error = error or exc
        self._late_end = LateEnd(error, evidence, arrows, time.monotonic())

    # -- teardown ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close everything tracked, last tracked first (idempotent). Every close is attempted; the
        first error, if any, is raised after. A last step put off by `finish_later` runs first, and
        this returns at once: its thread closes the scope after it."""
        if self._closed:
            return
        self._closed = True
        step, self._last_step = self._last_step, None
        if step is None:
            self._close_tracked()
            return
        self._finishing = threading.Thread(target=self._finish, args=(step,), name="harness-last-step", daemon=True)
        self._finishing.start()

    def _close_tracked(self) -> None:
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


def format_evidence(sections: list[Evidence], *, verbose: bool, legend: bool = True) -> list[str]:
    """The sections as text lines: all their lines when verbose, else the last COMPACT_LINES of each (a
    traceback: its TRACEBACK_LINES last, the exception line included); a program's errors are left out
    when its traceback says them better. The legend of the arrows comes before the first exchange."""
    traced = {section.title.removeprefix("Trace d'erreur du ") for section in sections if section.kind == "trace"}
    text: list[str] = []
    for section in sections:
        who = section.title.split(",")[0].removeprefix("Erreurs du ")
        if section.kind == "erreurs" and not verbose and who in traced:
            continue
        if section.kind == "echanges" and legend and LEGEND not in text:
            text.append(LEGEND)
        limit = TRACEBACK_LINES if section.kind == "trace" else COMPACT_LINES
        cut = not verbose and section.kind != "attente" and len(section.lines) > limit
        heading = f"{section.title} (dernières lignes) :" if cut else f"{section.title} :"
        text.append(heading)
        text.extend(f"  {line}" for line in (section.lines[-limit:] if cut else section.lines))
    return text


def full_text(result: CheckResult) -> str:
    """A result's whole explanation: the failure, its hint and every line of its evidence (HTML report)."""
    if not result.failure:
        return result.message
    hint = [f"Indice : {result.hint}"] if result.hint else []
    return printable("\n".join([result.failure, *hint, *format_evidence(list(result.evidence), verbose=True)]))
