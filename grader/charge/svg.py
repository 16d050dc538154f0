"""The ramp as an SVG picture, written by hand (no plotting library): two panels sharing the x axis.

Top: p99 latency on a log scale, with the 1 s limit dashed. Bottom: throughput (relayed lines per
second). One line per submission; a degraded step is drawn as a hollow red circle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from pathlib import PurePath

from grader.charge.ramp import RAMP_STEPS, RampResult
from grader.charge.render import PLOT_MAX_MS, PLOT_MIN_MS
from grader.charge.result import P99_LIMIT_MS, LoadResult
from grader.formats import french_number, integer

WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, GAP = 720, 220, 80, 170, 50, 60
COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2")
LATENCY_TICKS_MS = (0.1, 1, 10, 100, 1000, 10_000)


def _x(step_index: int) -> float:
    return LEFT + (step_index + 0.5) * (WIDTH - LEFT - RIGHT) / len(RAMP_STEPS)


def _latency_y(top: float) -> Callable[[float], float]:
    span = math.log10(PLOT_MAX_MS / PLOT_MIN_MS)

    def y(ms: float) -> float:
        clamped = min(max(ms, PLOT_MIN_MS), PLOT_MAX_MS)
        return top + PANEL_HEIGHT * (1 - math.log10(clamped / PLOT_MIN_MS) / span)

    return y


def _linear_y(top: float, highest: float) -> Callable[[float], float]:
    return lambda value: top + PANEL_HEIGHT * (1 - value / highest)


def _nice_step(highest: float, parts: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers [0, highest] in at most `parts` steps."""
    raw = highest / parts
    power = 10 ** math.floor(math.log10(raw))
    return next(power * k for k in (1, 2, 5, 10) if power * k >= raw)


def _label(ms: float) -> str:
    return f"{french_number(ms / 1000)} s" if ms >= 1000 else f"{french_number(ms)} ms"


def _panel(top: float, title: str, ticks: list[tuple[float, str]], y: Callable[[float], float]) -> list[str]:
    parts = [
        f'<text x="{LEFT}" y="{top - 12}" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{top}" width="{WIDTH - LEFT - RIGHT}" height="{PANEL_HEIGHT}" '
        'fill="none" stroke="#888"/>',
    ]
    for value, text in ticks:
        parts.append(
            f'<line x1="{LEFT - 4}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{escape(text)}</text>')
    return parts


def _series(
    ramp: RampResult, colour: str, value: Callable[[LoadResult], float], y: Callable[[float], float]
) -> list[str]:
    points = [(_x(i), y(value(step)), step) for i, step in enumerate(ramp.steps) if step.run is not None]
    parts = []
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{py:.1f}" for x, py, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for x, py, step in points:
        if step.degradation():
            parts.append(f'<circle cx="{x:.1f}" cy="{py:.1f}" r="6" fill="white" stroke="#d62728" stroke-width="2.5"/>')
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>')
    return parts


def ramp_svg(ramps: list[RampResult]) -> str:
    """The SVG document (UTF-8 text) for one or several ramps."""
    latency_top = TOP
    throughput_top = TOP + PANEL_HEIGHT + GAP
    height = throughput_top + PANEL_HEIGHT + 50
    most = max([step.throughput for ramp in ramps for step in ramp.steps] + [1.0])
    tick = _nice_step(most)
    ticks = math.ceil(most / tick)
    highest = ticks * tick
    latency_y = _latency_y(latency_top)
    throughput_y = _linear_y(throughput_top, highest)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
    ]
    parts += _panel(
        latency_top, "Latence p99 (échelle logarithmique)", [(ms, _label(ms)) for ms in LATENCY_TICKS_MS], latency_y
    )
    limit = latency_y(P99_LIMIT_MS)
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{limit:.1f}" y2="{limit:.1f}" '
        'stroke="#d62728" stroke-dasharray="6 4"/>'
    )
    parts += _panel(
        throughput_top,
        "Débit (lignes relayées par seconde)",
        [(tick * k, integer(tick * k)) for k in range(ticks + 1)],
        throughput_y,
    )
    for i, clients in enumerate(RAMP_STEPS):
        parts.append(
            f'<text x="{_x(i):.1f}" y="{throughput_top + PANEL_HEIGHT + 18}" text-anchor="middle">{clients}</text>'
        )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{height - 10}" text-anchor="middle">Nombre de clients</text>'
    )
    for index, ramp in enumerate(ramps):
        colour = COLOURS[index % len(COLOURS)]
        parts += _series(ramp, colour, lambda step: step.p99_ms, latency_y)
        parts += _series(ramp, colour, lambda step: step.throughput, throughput_y)
        legend_y = TOP + 16 * index
        parts.append(f'<rect x="{WIDTH - RIGHT + 12}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        name = PurePath(ramp.submission).name or ramp.submission
        parts.append(f'<text x="{WIDTH - RIGHT + 28}" y="{legend_y}">{escape(name)}</text>')
    parts.append(
        f'<text x="{WIDTH - RIGHT + 12}" y="{TOP + 16 * len(ramps) + 10}" fill="#d62728">○ palier dégradé</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
