"""`--ramp`: the same load at 10, 50, 100, 200, 500 then 1000 clients, a fresh server each step.

The ramp stops at the first step where the server is overwhelmed (lines lost, errors, or p99 above one
second): that step is where the trouble begins, and larger ones would only take longer to say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.charge.generator import LoadConfig, Progress
from grader.charge.result import LoadResult
from grader.charge.runner import measure

RAMP_STEPS = (10, 50, 100, 200, 500, 1000)


@dataclass
class RampResult:
    submission: str
    steps: list[LoadResult] = field(default_factory=list)

    @property
    def largest(self) -> int:
        """The number of clients of the last step measured."""
        return RAMP_STEPS[len(self.steps) - 1] if self.steps else 0

    @property
    def degraded_at(self) -> int | None:
        """The number of clients where the trouble begins (always the last step measured), or None."""
        if self.steps and self.steps[-1].degradation():
            return self.largest
        return None

    def summary(self) -> str:
        """One French sentence: where the server gives way, and why."""
        if self.degraded_at is None:
            return f"Aucune dégradation jusqu'à {self.largest} clients."
        return f"Dégradation à partir de {self.degraded_at} clients : {self.steps[-1].degradation()}."

    def to_dict(self) -> dict:
        return {
            "soumission": self.submission,
            "paliers": [step.to_dict() for step in self.steps],
            "degradation_a_partir_de": self.degraded_at,
            "cause": self.steps[-1].degradation() if self.degraded_at is not None else None,
            "resume": self.summary(),
        }


def run_ramp(
    path: Path,
    config: LoadConfig,
    *,
    on_step: Callable[[int], None],
    on_progress: Callable[[Progress], None] | None = None,
) -> RampResult:
    """Measure each step in turn until one is degraded; `on_step(clients)` announces each."""
    ramp = RampResult(submission=str(path))
    for clients in RAMP_STEPS:
        on_step(clients)
        step = measure(path, replace(config, clients=clients), on_progress)
        ramp.steps.append(step)
        if step.degradation():
            break
    return ramp
