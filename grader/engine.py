"""Grading one submission: pytest runs the check modules in this process, the plugin gathers a report."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from grader import confinement
from grader.catalogue import check_module_paths, load_catalogue, with_prerequisites
from grader.model import SubmissionReport
from grader.plugin import GraderPlugin
from grader.scale import Scale, default_scale
from grader.session import GradingSession, Listener

CHECK_TIMEOUT_S = 60.0  # pytest-timeout, the last safety net: every wait of the harness has its own deadline


class GraderInternalError(Exception):
    """The grader itself could not run its checks (exit code 3)."""


def grade(
    path: Path,
    *,
    only: set[str] | None = None,
    scale: Scale | None = None,
    verbose: bool = False,
    listener: Listener | None = None,
) -> SubmissionReport:
    """Run every check (or `only` and their prerequisites) on the submission folder `path`.

    Call it once per process: pytest imports the check modules and keeps them.
    """
    catalogue = load_catalogue()
    scale = scale or default_scale(catalogue)
    session = GradingSession(
        submission=path,
        points=scale.points,
        only=with_prerequisites(only, catalogue) if only else None,
        verbose=verbose,
        timeout_s=CHECK_TIMEOUT_S,
        listener=listener,
    )
    started = time.monotonic()
    with confinement.kept_ready():  # each student program starts without waiting for Python to load
        exit_code = pytest.main(_pytest_args(), plugins=[GraderPlugin(session)])
    if exit_code == pytest.ExitCode.INTERRUPTED:  # Ctrl-C: the checks left were never run, no grade
        raise KeyboardInterrupt
    if session.collection_errors or exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise GraderInternalError("\n".join(session.collection_errors) or f"pytest a renvoyé {exit_code}")
    return SubmissionReport(
        submission=str(path),
        results=list(session.results.values()),  # in grading order
        duration_s=time.monotonic() - started,
        bonus_counts_in_grade=scale.bonus_in_grade,
        bonus_cap=scale.bonus_cap,
        selection=tuple(sorted(only)) if only else (),
        isolation=confinement.current(),
    )


def _pytest_args() -> list[str]:
    # Third-party plugins installed on the machine must not change how checks run: load only ours.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    timeout_method = "signal" if hasattr(signal, "SIGALRM") else "thread"
    checks_dir = check_module_paths()[0].parent
    return [
        *map(str, check_module_paths()),
        "-c",
        str(checks_dir / "pytest.ini"),
        "--rootdir",
        str(checks_dir),
        "-p",
        "pytest_timeout",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "no:stepwise",
        "--capture=no",
        "-o",
        f"timeout={CHECK_TIMEOUT_S:g}",
        "-o",
        f"timeout_method={timeout_method}",
    ]
