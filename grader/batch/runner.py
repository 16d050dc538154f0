"""`run_batch`: grade a whole class in parallel, one subprocess per submission, then export.

A progress bar with the time left (on stderr), a summary table at the end (on stdout), the exports, and
the exit code: 0 when every submission passed every check outside the bonus, 1 otherwise, 2 for a usage
problem (an export that needs a single submission, an export that cannot be written).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader import similarity
from grader.batch import from_source
from grader.batch.discovery import BatchItem
from grader.batch.jobs import default_jobs
from grader.batch.kit import KIT_DIR, KitChanged, KitSeal
from grader.batch.summary import print_batch_summary
from grader.batch.validation import Expected
from grader.batch.worker import SUBMISSION_TIMEOUT_S, GradingOptions, Worker
from grader.catalogue import load_catalogue
from grader.commandline import ExitCode
from grader.confinement.launch import adopt_orphans
from grader.exports import ExportError, ExportOptions, remove_previous_exports, usage_problem, write_exports
from grader.harness import ports
from grader.harness.exercise import PROGRAMS
from grader.harness.lines import printable
from grader.harness.process import kill_surviving_processes
from grader.model import SubmissionReport
from grader.scale import default_scale, load_scale


class _Pool:
    """The workers of a class, in the order they grade, `jobs` at a time. When one begins, the next one
    still waiting is started ahead of its turn: its Python and the kit load while this one grades. Each
    running one draws its ports from a block no other running one uses. Ctrl-C kills every started one."""

    def __init__(self, order: list[Worker], jobs: int) -> None:
        self._lock = threading.Lock()
        self._waiting = list(order)  # not started yet
        self._started: set[Worker] = set()
        self._free_ports = ports.blocks(jobs)  # one block per grading running (harness/ports.py)
        self.stopping = threading.Event()

    def run(self, worker: Worker) -> SubmissionReport:
        with self._lock:
            if self.stopping.is_set():
                raise KeyboardInterrupt
            if worker in self._waiting:
                self._waiting.remove(worker)
            ahead = self._waiting.pop(0) if self._waiting else None
            self._started.add(worker)
            if ahead is not None:
                self._started.add(ahead)
            block = self._free_ports.pop()
        try:
            worker.start()
            if ahead is not None:
                with contextlib.suppress(OSError):  # then it starts at its turn, which reports the error
                    ahead.start()
            return worker.run(block)
        finally:
            with self._lock:
                self._started.discard(worker)
                self._free_ports.append(block)

    def kill_all(self) -> None:
        self.stopping.set()
        with self._lock:
            started = list(self._started)
        for worker in started:
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
    jobs: int = field(default_factory=default_jobs)  # submissions graded at a time
    quiet: bool = False  # --silencieux: no progress bar, no summary
    similarity: bool = False  # --similarite: the pairs of submissions that look copied
    starter: Path | None = None  # the starter files set aside by --similarite


def expected_of(options: GradingOptions, timeout: float) -> Expected:
    """What every grading process is asked for (the options were checked by the command line)."""
    catalogue = load_catalogue()
    scale = load_scale(options.scale, catalogue) if options.scale else default_scale(catalogue)
    return Expected.of(catalogue, scale, options.only_ids(), timeout)


def _likely_duration(item: BatchItem) -> tuple[int, int]:
    """What makes a grading long, known before it starts: the number of programs handed in (one missing,
    its checks are skipped; none, nothing runs), then how much code they hold (the more is written, the
    more checks run to their end instead of failing early). The longest go first, so that no long one
    starts last while the other workers have nothing left to do."""
    if item.path is None:
        return (0, 0)
    sizes = []
    for name in PROGRAMS:
        try:
            sizes.append((item.path / name).stat().st_size)
        except OSError:  # not handed in (or unreadable: the grading will say so)
            pass
    return (len(sizes), sum(sizes))


def _folder(scratch: str, index: int) -> Path:
    """A worker's working folder, empty."""
    folder = Path(scratch) / f"{index:04d}"
    folder.mkdir()
    return folder


def grade_all(
    items: list[BatchItem],
    options: BatchOptions,
    *,
    timeout: float = SUBMISSION_TIMEOUT_S,
    console: Console | None = None,
) -> list[SubmissionReport]:
    """Every item graded in its own subprocess, `options.jobs` at a time; reports in the items' order."""
    jobs = max(1, min(options.jobs, len(items)))
    expected = expected_of(options.grading, timeout)
    adopt_orphans()  # a worker that dies leaves its students' programs to this process, which ends them below
    reports: dict[int, SubmissionReport] = {}
    with (
        tempfile.TemporaryDirectory(prefix="grader-correcteurs-") as scratch,
        ThreadPoolExecutor(max_workers=jobs) as executor,
        _progress(console or Console(stderr=True)) as progress,
    ):
        task = progress.add_task("", total=len(items))
        order = sorted(range(len(items)), key=lambda i: _likely_duration(items[i]), reverse=True)
        workers = {
            index: Worker(items[index], options.grading, _folder(scratch, index), timeout, expected) for index in order
        }
        pool = _Pool(list(workers.values()), jobs)
        futures = {executor.submit(pool.run, worker): index for index, worker in workers.items()}
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
        finally:
            kill_surviving_processes()
    return [reports[index] for index in range(len(items))]


def _similar_pairs(items: list[BatchItem], options: BatchOptions) -> list[similarity.Pair]:
    folders = {f"{item.student.name or item.student.identifier}": item.path for item in items if item.path is not None}
    return similarity.class_pairs(folders, options.starter)


def run_batch(items: list[BatchItem], options: BatchOptions) -> int:
    """Grade the class, print the summary, write the exports; the exit code."""
    try:
        problem = usage_problem(options.exports, len(items))
        if problem:
            raise ExportError(problem)
        remove_previous_exports(options.exports)
        pairs = _similar_pairs(items, options) if options.similarity else None  # before anything of theirs runs
        seal = KitSeal.take()
        from_source.install(str(KIT_DIR.parent))  # what this process imports from now on: no .pyc of the kit
        reports = grade_all(items, options, console=Console(stderr=True, quiet=options.quiet))
        seal.check()
        if not options.quiet:
            console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
            print_batch_summary(console, reports)
            if pairs is not None:
                for line in similarity.describe(pairs, similarity.starter_text(options.starter) != ""):
                    console.print(printable(line), markup=False)
        write_exports(reports, options.exports, similarity=pairs)
    except (ExportError, KitChanged) as error:
        print(f"Erreur : {printable(str(error))}", file=sys.stderr)
        return ExitCode.INTERNAL if isinstance(error, KitChanged) else ExitCode.USAGE
    return ExitCode.OK if all(report.all_required_passed for report in reports) else ExitCode.FAILED
