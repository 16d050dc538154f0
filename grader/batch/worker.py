"""Grading one submission of a batch in its own process (`python -m grader.batch.child PATH`).

Isolation: a submission that hangs, floods or crashes the grader costs its own time bound and nothing
else. The grading process runs in its own session, from an empty private folder, and imports the kit's
modules from this kit's folder only, compiled from their source (from_source.py): neither a `grader`
package planted where the teacher works nor a `.pyc` dropped in the kit is ever run. A batch token is in
its environment (the student programs it starts inherit it); on timeout or at the end, its whole tree
and every process carrying the token are killed.

Its report comes back through its standard output, which is one end of an unnamed socket pair on POSIX:
the student programs it starts never inherit it (their descriptors are closed), and unlike a pipe or a
file a socket cannot be opened again through /proc/<pid>/fd, so no student program can write in it.
(Windows: an anonymous pipe, whose handle is not inherited either.) The runner reads at most
MAX_REPORT_BYTES, and accepts the report only from a process that exited normally (code 0) and only
once `validation.validated_report` has checked it against what was asked. Whatever goes wrong becomes
a report with a French `fatal_error`: that submission could not be graded, the others are.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import grader
from grader.batch import from_source
from grader.batch.discovery import BatchItem
from grader.batch.validation import Expected, InvalidReport, validated_report
from grader.harness import procfs
from grader.harness.ports import SERVER_PORTS
from grader.harness.process import isolation_options, kill_process_tree
from grader.model import SubmissionReport

SUBMISSION_TIMEOUT_S = 240.0  # a whole grading run; the slowest honest submission takes well under a minute
TOKEN_VARIABLE = "GRADER_BATCH_TOKEN"
KILL_WAIT_S = 5.0
STDERR_TAIL_BYTES = 2000
MAX_REPORT_BYTES = 64 * 2**20  # a --verbose report of every check is a few hundred kilobytes
_KIT_ROOT = str(Path(grader.__file__).resolve().parent.parent)
_FROM_SOURCE = str(Path(from_source.__file__).resolve())
# `python -c`: sys.path[0] would be the working folder; it becomes this very kit's folder, from source.
_BOOTSTRAP = (
    "import runpy, sys; kit = sys.argv.pop(1); sys.path[0] = kit; "
    "runpy.run_path(sys.argv.pop(1))['install'](kit); "
    "from grader.batch.child import main; sys.exit(main())"
)
NOT_GRADED = "la soumission n'a pas pu être corrigée"


def fatal_report(item: BatchItem, message: str, duration_s: float = 0.0) -> SubmissionReport:
    return SubmissionReport(submission=item.source, student=item.student, fatal_error=message, duration_s=duration_s)


@dataclass(frozen=True)
class GradingOptions:
    """How each submission of a class is graded: passed on to its worker's command line."""

    only: str | None = None  # --only, as typed
    scale: Path | None = None  # --bareme
    verbose: bool = False

    def only_ids(self) -> set[str] | None:
        return {part.strip().upper() for part in (self.only or "").split(",") if part.strip()} or None


def worker_command(item: BatchItem, options: GradingOptions) -> list[str]:
    assert item.path is not None  # an item without a folder is never graded
    submission = os.path.abspath(item.path)  # the worker runs from its own folder
    command = [sys.executable, "-c", _BOOTSTRAP, _KIT_ROOT, _FROM_SOURCE, submission]
    if options.scale:
        command += ["--bareme", str(options.scale.resolve())]
    only = options.only_ids()
    if only:
        command += ["--only", ",".join(sorted(only))]
    if options.verbose:
        command.append("--verbose")
    return command


def _environment(token: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env[TOKEN_VARIABLE] = token
    env["NO_COLOR"] = "1"
    return env


class _Reader(threading.Thread):
    """Reads a pipe or a socket to its end, keeping its first `limit` bytes (`head`) or its last (`tail`):
    a flood costs neither memory nor disk. `overflowed` tells that a head was cut."""

    def __init__(self, fd: int, limit: int, *, head: bool) -> None:
        super().__init__(daemon=True)
        self.fd, self.limit, self.head = fd, limit, head
        self.data = b""
        self.overflowed = False

    def run(self) -> None:
        try:
            for chunk in iter(lambda: os.read(self.fd, 65536), b""):
                if not self.head:
                    self.data = (self.data + chunk)[-self.limit :]
                elif len(self.data) + len(chunk) > self.limit:
                    self.overflowed = True
                else:
                    self.data += chunk
        except (OSError, ValueError):  # closed under our feet: the worker was killed
            pass

    def finish(self) -> bytes:
        self.join(KILL_WAIT_S)
        return self.data


def _report_channel() -> tuple[socket.socket | None, int]:
    """(the runner's end, the descriptor to give as the worker's stdout); Windows: (None, PIPE)."""
    if os.name != "posix":
        return None, subprocess.PIPE
    ours, theirs = socket.socketpair()
    return ours, theirs.detach()


def _stopped(code: int) -> str:
    if code >= 0:
        return f"code {code}"
    try:
        return f"arrêté par le signal {signal.Signals(-code).name}"
    except ValueError:
        return f"arrêté par le signal {-code}"


def _your_turn(process: subprocess.Popen, ports: range) -> None:
    """Let a started grading process grade, drawing its ports from `ports`: one line on its stdin, then
    its end."""
    assert process.stdin is not None
    try:
        process.stdin.write(f"{ports.start} {ports.stop}\n".encode())
        process.stdin.close()
    except OSError:  # it already ended (it could not load the kit): its exit code tells why
        pass


class Worker:
    """One grading process; `kill()` may be called from another thread (Ctrl-C), even before `run()`.
    `start()` may come before `run()`, so that the process loads the kit while the previous one grades.

    `folder` is an empty private folder: the process's working folder."""

    def __init__(
        self, item: BatchItem, options: GradingOptions, folder: Path, timeout: float, expected: Expected
    ) -> None:
        self.item, self.options, self.folder, self.timeout = item, options, folder, timeout
        self.expected = expected
        self.token = uuid.uuid4().hex
        self.process: subprocess.Popen | None = None
        self._channel: socket.socket | IO[bytes]  # these three are set by start()
        self._answer: _Reader
        self._errors: _Reader
        self._lock = threading.Lock()
        self._cancelled = False

    def start(self) -> None:
        """Start the grading process ahead of its turn: it loads the kit, then waits for `run()` to let it
        grade (a line on its stdin). Does nothing once started, killed, or for an item without a folder."""
        with self._lock:
            if self._cancelled or self.process is not None or self.item.path is None:
                return
            ours, stdout = _report_channel()
            try:
                process = self.process = subprocess.Popen(
                    worker_command(self.item, self.options),
                    cwd=self.folder,
                    stdin=subprocess.PIPE,
                    stdout=stdout,
                    stderr=subprocess.PIPE,
                    env=_environment(self.token),
                    **isolation_options(),
                )
            finally:
                if ours is not None:
                    os.close(stdout)  # the worker's end: only the worker may hold it
            channel = ours if ours is not None else process.stdout
            assert channel is not None and process.stderr is not None  # a socket or a pipe, and a pipe
            self._channel = channel
            self._answer = _Reader(channel.fileno(), MAX_REPORT_BYTES, head=True)
            self._errors = _Reader(process.stderr.fileno(), STDERR_TAIL_BYTES, head=False)
            self._answer.start()
            self._errors.start()

    def run(self, ports: range = SERVER_PORTS) -> SubmissionReport:
        """Grade, drawing the ports of the student's servers from `ports` (see harness/ports.py)."""
        if self.item.path is None:
            return fatal_report(self.item, self.item.error)
        self.start()
        with self._lock:
            process = None if self._cancelled else self.process
        if process is None:  # killed (Ctrl-C) before its turn
            self.kill()
            self._collect()
            return fatal_report(self.item, "Correction interrompue.")
        started = time.monotonic()  # its time bound counts from its turn, not from its early start
        _your_turn(process, ports)
        try:
            code = process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            self.kill()
        answer, stderr_tail = self._collect()
        elapsed = time.monotonic() - started
        if code is None:
            return fatal_report(
                self.item,
                f"Délai dépassé : la correction a été interrompue au bout de {self.timeout:g} s "
                "(un programme bloque-t-il ou a-t-il arrêté le correcteur ?) ; " + NOT_GRADED + ".",
                elapsed,
            )
        if self._answer.is_alive() or self._answer.overflowed:
            return fatal_report(self.item, f"Rapport de correction illisible ou trop long ; {NOT_GRADED}.", elapsed)
        return self._report(answer, code, stderr_tail, elapsed)

    def _collect(self) -> tuple[bytes, str]:
        """Once the process has ended: (its report, the tail of its stderr); closes both."""
        if self.process is None:
            return b"", ""
        answer, stderr_tail = self._answer.finish(), self._errors.finish().decode("utf-8", "replace").strip()
        self._channel.close()
        assert self.process.stderr is not None
        self.process.stderr.close()
        return answer, stderr_tail

    def _report(self, answer: bytes, code: int, stderr_tail: str, elapsed: float) -> SubmissionReport:
        if code != 0 or not answer:
            detail = f"\n{stderr_tail}" if stderr_tail else ""
            stopped = f"Le correcteur s'est arrêté ({_stopped(code)}) sans rapport ; {NOT_GRADED}."
            return fatal_report(self.item, stopped + detail, elapsed)
        try:
            report = validated_report(json.loads(answer.decode("utf-8")), self.expected)
        except (ValueError, InvalidReport) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return fatal_report(self.item, f"Rapport de correction invalide ({error}) ; {NOT_GRADED}.", elapsed)
        report.submission = self.item.source
        report.student = self.item.student
        return report

    def _marked(self) -> set[int]:
        return procfs.marked(TOKEN_VARIABLE, self.token)

    def kill(self) -> None:
        """Kill the worker, the student programs it started and anything carrying its token."""
        with self._lock:
            self._cancelled = True
            process = self.process
        if process is None:
            return
        # Once reaped, the worker's pid may belong to someone else: its tree is then found by the token only.
        tree = procfs.descendants(process.pid) if process.returncode is None else set()
        kill_process_tree(process, self._marked, tree, KILL_WAIT_S)
        process.wait()
