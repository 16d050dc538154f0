"""Measuring one submission: its server started exactly as the grader starts it, then the load.

Same runner as the checks (`grader.harness.student.start_server`): snapshot of the folder, free port on
127.0.0.1, readiness connection handed to the first simulated client, whole process tree killed at the
end. The server's console is the join evidence the generator waits for before it measures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.charge.generator import LoadConfig, LoadGenerator, Progress
from grader.charge.result import LoadResult
from grader.confinement import limits
from grader.harness.errors import CheckFailure
from grader.harness.output import OutputStream
from grader.harness.student import start_server
from grader.harness.workspace import SubmissionError, Workspace

FD_MARGIN = 64
# The server's ceiling of processes and threads (ordinary user, Linux): the grading's, plus room for a
# server with a thread per client and per direction (the reference has two), and some more.
TASKS_PER_CLIENT = 4


class _ConsoleLines:
    """The server's console lines not handed out yet (duplicates are harmless: names are a set)."""

    def __init__(self, console: OutputStream) -> None:
        self.console = console
        self.position = 0

    def __call__(self) -> list[str]:
        mark = self.console.mark()
        lines = self.console.lines(self.position)
        self.position = mark
        return lines


def raise_fd_limit(clients: int) -> None:
    """Room for the sockets of every simulated client (and the server's, which inherits the limit).

    Best effort, POSIX only: the soft limit goes up to the hard one when it is too low.
    """
    try:
        import resource
    except ImportError:
        return
    needed = 2 * clients + FD_MARGIN
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def server_tasks(config: LoadConfig) -> int:
    """The ceiling of processes and threads given to the server loaded by this crowd. A grading keeps
    limits.PROCESSES (512), which a server with two threads per client meets near 250 clients."""
    return limits.PROCESSES + TASKS_PER_CLIENT * (config.clients + config.blocked_reader)


def measure(path: Path, config: LoadConfig, on_progress: Callable[[Progress], None] | None = None) -> LoadResult:
    """Start the submission's server, load it, stop it; every failure becomes a French `failure`."""
    result = LoadResult(submission=str(path))
    try:
        workspace = Workspace(path)
    except SubmissionError as error:
        result.failure = str(error)
        return result
    try:
        server = start_server(workspace, processes=server_tasks(config))
    except CheckFailure as failure:
        result.failure = "Le serveur n'a pas démarré : " + failure.french()
        workspace.cleanup()
        return result
    process = server.process
    try:
        with LoadGenerator(
            server.host,
            server.port,
            config,
            first_socket=server.take_ready_socket(),
            evidence=_ConsoleLines(process.stdout),
            on_progress=on_progress,
        ) as generator:
            process.stdout.watch(generator.wake)
            try:
                result.run = generator.run()
            finally:
                process.stdout.unwatch(generator.wake)
            result.server_exit = process.poll()  # before the clients leave: some servers stop then
            usage = process.resource_usage()
        if usage is not None:
            result.server_cpu_s, result.server_peak_bytes = usage
        result.server_traceback = process.traceback_tail()
    finally:
        server.close()
        workspace.cleanup()
    return result
