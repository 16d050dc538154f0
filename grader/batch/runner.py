"""`run_batch`: grade a whole class in parallel, one subprocess per submission, then export.

A progress bar with the time left (on stderr), a summary table at the end (on stdout), the exports, and
the exit code: 0 when every submission passed every check outside the bonus, 1 otherwise, 2 for a usage
problem (an export that needs a single submission, an export that cannot be written).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.batch.discovery import BatchItem
from grader.batch.summary import print_batch_summary
from grader.batch.validation import Expected
from grader.batch.worker import SUBMISSION_TIMEOUT_S, Worker
from grader.catalogue import load_catalogue
from grader.exports import ExportError, remove_previous_exports, usage_problem, write_exports
from grader.harness.lines import printable
from grader.model import SubmissionReport
from grader.scale import default_scale, load_scale

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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


def expected_of(args: argparse.Namespace, timeout: float) -> Expected:
    """What every grading process is asked for, from the options (already checked by the CLI)."""
    catalogue = load_catalogue()
    scale = load_scale(Path(args.bareme), catalogue) if getattr(args, "bareme", None) else default_scale(catalogue)
    only = {part.strip().upper() for part in (getattr(args, "only", None) or "").split(",") if part.strip()}
    return Expected.of(catalogue, scale, only or None, timeout)


def grade_all(items: list[BatchItem], args: argparse.Namespace, *, timeout: float = SUBMISSION_TIMEOUT_S,
              console: Console | None = None) -> list[SubmissionReport]:
    """Every item graded in its own subprocess, `args.jobs` at a time; reports in the items' order."""
    jobs = max(1, min(getattr(args, "jobs", None) or os.cpu_count() or 1, len(items)))
    expected = expected_of(args, timeout)
    pool = _Pool()
    reports: dict[int, SubmissionReport] = {}
    with tempfile.TemporaryDirectory(prefix="grader-correcteurs-") as scratch, \
            ThreadPoolExecutor(max_workers=jobs) as executor, \
            _progress(console or Console(stderr=True)) as progress:
        task = progress.add_task("", total=len(items))
        futures: dict[Future, int] = {}
        pycache = Path(scratch) / "pycache"
        pycache.mkdir()
        for index, item in enumerate(items):
            folder = Path(scratch) / f"{index:04d}"  # the worker's working folder, empty
            folder.mkdir()
            futures[executor.submit(pool.run, Worker(item, args, folder, timeout, expected, pycache))] = index
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


def run_batch(items: list[BatchItem], args: argparse.Namespace) -> int:
    """Grade the class, print the summary, write the exports; the exit code."""
    quiet = getattr(args, "silencieux", False)
    try:
        problem = usage_problem(args, len(items))
        if problem:
            raise ExportError(problem)
        remove_previous_exports(args)
        reports = grade_all(items, args, console=Console(stderr=True, quiet=quiet))
        if not quiet:
            print_batch_summary(Console(highlight=False, soft_wrap=not sys.stdout.isatty()), reports)
        write_exports(reports, args)
    except ExportError as error:
        print(f"Erreur : {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if all(report.all_required_passed for report in reports) else EXIT_FAILED
