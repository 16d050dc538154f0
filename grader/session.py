"""One grading run as the checks see it: what the engine sets up, the plugin fills and the fixtures read.

The engine makes a `GradingSession` and hands it to pytest through the plugin, which puts it in pytest's
config stash under `STASH_KEY`; the `grading` fixture of `grader/checks/conftest.py` reads it back from
there (a pytest run has no other way in). The plugin writes each check's result into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.model import CheckResult, CheckSpec

if TYPE_CHECKING:
    from grader.harness.scope import CheckScope

Listener = Callable[[str, CheckSpec, CheckResult | None], None]  # ("debut"|"fin", spec, result)


@dataclass
class GradingSession:
    """What the fixtures and the plugin share for one grading run."""

    submission: Path
    points: dict[str, float]  # points per check id under the scale in use
    only: set[str] | None = None  # ids to run (prerequisites included); None: all
    verbose: bool = False
    timeout_s: float = 60.0
    listener: Listener | None = None
    results: dict[str, CheckResult] = field(default_factory=dict)
    collection_errors: list[str] = field(default_factory=list)
    finishing: list[CheckScope] = field(default_factory=list)  # scopes whose last step runs after their check


STASH_KEY = pytest.StashKey[GradingSession]()
