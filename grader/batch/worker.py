"""Grading one submission of a batch in its own process: `python -m grader PATH --json OUT`.

Isolation: a submission that hangs, floods or crashes the grader costs its own time bound and nothing
else. The worker runs in its own session with a batch token in its environment (the student programs
it starts inherit it); on timeout or at the end, its whole tree and every process carrying the token
are killed. Whatever goes wrong becomes a report with a French `fatal_error`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import grader
from grader.batch.discovery import BatchItem
from grader.harness import procfs
from grader.harness.process import isolation_options, kill_process_tree
from grader.model import SubmissionReport

SUBMISSION_TIMEOUT_S = 240.0  # a whole grading run; the slowest honest submission takes well under a minute
TOKEN_VARIABLE = "GRADER_BATCH_TOKEN"
KILL_WAIT_S = 5.0
STDERR_TAIL_BYTES = 2000
_PACKAGE_ROOT = str(Path(grader.__file__).resolve().parent.parent)


def fatal_report(item: BatchItem, message: str, duration_s: float = 0.0) -> SubmissionReport:
    return SubmissionReport(submission=item.source, student=item.student, fatal_error=message, duration_s=duration_s)


@dataclass(frozen=True)
class GradingOptions:
    """How each submission of a class is graded: passed on to its worker's command line."""

    only: str | None = None  # --only, as typed
    scale: Path | None = None  # --bareme
    verbose: bool = False


def worker_command(item: BatchItem, output: Path, options: GradingOptions) -> list[str]:
    command = [sys.executable, "-m", "grader", str(item.path), "--json", str(output), "--silencieux"]
    if options.scale:
        command += ["--bareme", str(options.scale.resolve())]
    if options.only:
        command += ["--only", options.only]
    if options.verbose:
        command.append("--verbose")
    return command


def _environment(token: str) -> dict[str, str]:
    env = dict(os.environ)
    env[TOKEN_VARIABLE] = token
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))  # this very grader
    env["NO_COLOR"] = "1"
    return env


class _TailReader(threading.Thread):
    """Reads a pipe to its end, keeping only the last bytes (a flood costs neither memory nor disk)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.tail = b""

    def run(self) -> None:
        for chunk in iter(lambda: os.read(self.stream.fileno(), 65536), b""):
            self.tail = (self.tail + chunk)[-STDERR_TAIL_BYTES:]

    def text(self) -> str:
        self.join(KILL_WAIT_S)
        return self.tail.decode("utf-8", "replace").strip()


class Worker:
    """One grading subprocess; `kill()` may be called from another thread (Ctrl-C), even before `run()`."""

    def __init__(self, item: BatchItem, options: GradingOptions, folder: Path, timeout: float) -> None:
        self.item, self.options, self.folder, self.timeout = item, options, folder, timeout
        self.token = uuid.uuid4().hex
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._cancelled = False

    def run(self) -> SubmissionReport:
        if self.item.path is None:
            return fatal_report(self.item, self.item.error)
        output = self.folder / "rapport.json"
        started = time.monotonic()
        with self._lock:
            if self._cancelled:
                return fatal_report(self.item, "Correction interrompue.")
            process = self.process = subprocess.Popen(
                worker_command(self.item, output, self.options),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=_environment(self.token),
                **isolation_options(),
            )
        stderr = process.stderr
        assert stderr is not None  # stderr=PIPE
        errors = _TailReader(stderr)
        errors.start()
        try:
            code = process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            self.kill()
        stderr_tail = errors.text()
        stderr.close()
        elapsed = time.monotonic() - started
        if code is None:
            return fatal_report(
                self.item,
                f"Délai dépassé : la correction a été interrompue au bout de {self.timeout:g} s "
                "(un programme bloque-t-il ?).",
                elapsed,
            )
        return self._report(output, code, stderr_tail, elapsed)

    def _report(self, output: Path, code: int, stderr_tail: str, elapsed: float) -> SubmissionReport:
        try:
            report = SubmissionReport.from_dict(json.loads(output.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            detail = f"\n{stderr_tail}" if stderr_tail else ""
            return fatal_report(self.item, f"Le correcteur s'est arrêté (code {code}) sans rapport.{detail}", elapsed)
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
