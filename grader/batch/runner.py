"""`run_batch`: grade a whole class in parallel, one subprocess per submission, then export.

A progress bar with the time left (on stderr), a summary table at the end (on stdout), the exports, and
the exit code: 0 when every submission passed every check outside the bonus, 1 otherwise, 2 for a usage
problem (an export that needs a single submission, an export that cannot be written).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.batch.discovery import BatchItem
from grader.batch.summary import print_batch_summary
from grader.batch.worker import SUBMISSION_TIMEOUT_S, GradingOptions, Worker
from grader.commandline import ExitCode
from grader.exports import ExportError, ExportOptions, usage_problem, write_exports
from grader.model import SubmissionReport


class _Pool:
    """The workers running now, so that Ctrl-C kills every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[Worker] = set()
        self.stopping = threading.Event()

    def run(self, worker: Worker) -> SubmissionReport:
        with self._lock:
            if self.stopping.is_set():
                raise KeyboardInterrupt
            self._running.add(worker)
        try:
            return worker.run()
        finally:
            with self._lock:
                self._running.discard(worker)

    def kill_all(self) -> None:
        self.stopping.set()
        with self._lock:
            running = list(self._running)
        for worker in running:
            worker.kill()


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]Correction de la classe"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("· reste"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@dataclass(frozen=True)
class BatchOptions:
    """What the command line asks of a class grading."""

    grading: GradingOptions = field(default_factory=GradingOptions)
    exports: ExportOptions = field(default_factory=ExportOptions)
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)  # submissions graded at a time
    quiet: bool = False  # --silencieux: no progress bar, no summary


def grade_all(items: list[BatchItem], options: BatchOptions, *, timeout: float = SUBMISSION_TIMEOUT_S,
              console: Console | None = None) -> list[SubmissionReport]:
    """Every item graded in its own subprocess, `options.jobs` at a time; reports in the items' order."""
    jobs = max(1, min(options.jobs, len(items)))
    pool = _Pool()
    reports: dict[int, SubmissionReport] = {}
    with tempfile.TemporaryDirectory(prefix="grader-rapports-") as scratch, \
            ThreadPoolExecutor(max_workers=jobs) as executor, \
            _progress(console or Console(stderr=True)) as progress:
        task = progress.add_task("", total=len(items))
        futures: dict[Future, int] = {}
        for index, item in enumerate(items):
            folder = Path(scratch) / f"{index:04d}"
            folder.mkdir()
            futures[executor.submit(pool.run, Worker(item, options.grading, folder, timeout))] = index
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    reports[futures[future]] = future.result()
                    progress.advance(task)
        except BaseException:
            pool.kill_all()
            for future in pending:
                future.cancel()
            raise
    return [reports[index] for index in range(len(items))]


def run_batch(items: list[BatchItem], options: BatchOptions) -> int:
    """Grade the class, print the summary, write the exports; the exit code."""
    problem = usage_problem(options.exports, len(items))
    if problem:
        print(f"Erreur : {problem}", file=sys.stderr)
        return ExitCode.USAGE
    progress_console = Console(stderr=True, quiet=options.quiet)
    reports = grade_all(items, options, console=progress_console)
    if not options.quiet:
        print_batch_summary(Console(highlight=False, soft_wrap=not sys.stdout.isatty()), reports)
    try:
        write_exports(reports, options.exports)
    except ExportError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return ExitCode.USAGE
    return ExitCode.OK if all(report.all_required_passed for report in reports) else ExitCode.FAILED
