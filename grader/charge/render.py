"""The French console view of a load run: live progress, the table of figures, the ramp plot.

Several submissions measured in one run get one column each, side by side.
"""

from __future__ import annotations

import math
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.charge import generator
from grader.charge.latency import exact_percentile
from grader.charge.ramp import RAMP_STEPS, RampResult
from grader.charge.result import P99_LIMIT_MS, LoadResult
from grader.formats import french_number, integer, milliseconds

PLOT_WIDTH = 28
PLOT_MIN_MS = 0.1  # left end of the ramp's log scale; its right end is 10 s
PLOT_MAX_MS = 10_000.0


class LiveProgress:
    """Three bars while a run goes on: clients joined, messages sent, relayed lines received."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.tasks: list = []

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def start_run(self, label: str) -> None:
        for task in self.tasks:
            self.progress.remove_task(task)
        self.progress.console.print(Text(label, style="bold"))
        self.tasks = [
            self.progress.add_task(text, total=None)
            for text in ("Clients inscrits", "Messages envoyés", "Lignes relayées reçues")
        ]

    def __call__(self, state: generator.Progress) -> None:
        joined, sent, received = self.tasks
        self.progress.update(joined, completed=state.joined, total=state.clients)
        self.progress.update(sent, completed=state.sent, total=state.planned)
        self.progress.update(received, completed=state.received, total=state.expected)


def _losses(result: LoadResult, run: generator.GeneratorResult) -> str:
    if not result.lost:
        return "0"
    return f"{integer(result.lost)} ({french_number(round(100 * result.lost / run.expected, 2))} %)"


def _errors(result: LoadResult) -> str:
    details = result.error_details()
    if not details:
        return "0"
    return f"{result.errors} : " + " ; ".join(f"{message} ×{count}" for message, count in details.items())


def _rows(result: LoadResult, run: generator.GeneratorResult) -> list[tuple[str, str]]:
    config = run.config
    latency = run.latency.summary_ms()
    mode = f"{french_number(config.rate)} msg/s par client" if config.rate else "boucle fermée"
    joined = f"{french_number(round(run.join_s, 2))} s"
    if run.unconfirmed:
        joined += f" ({run.unconfirmed} non confirmées)"
    rows = [
        ("Clients × messages", f"{config.clients} × {config.messages}"),
        ("Cadence", mode),
        ("Lignes attendues", integer(run.expected)),
        ("Lignes reçues", integer(run.received)),
        ("Pertes", _losses(result, run)),
        ("Débit (lignes/s)", integer(result.throughput)),
        ("Latence p50 / p95 / p99 (ms)", " / ".join(milliseconds(latency[key]) for key in ("p50", "p95", "p99"))),
        ("Latence max (ms)", milliseconds(latency["max"])),
        (
            "Connexion p50 / max (ms)",
            f"{milliseconds(exact_percentile(run.connect_ms, 50))} / {milliseconds(max(run.connect_ms, default=0.0))}",
        ),
        ("Inscription de tous", joined),
        ("Erreurs", _errors(result)),
        ("Déconnexions", str(run.disconnections)),
    ]
    if run.duplicates or run.echoes:
        rows.append(("Doublons / échos (ignorés)", f"{run.duplicates} / {run.echoes}"))
    if run.interrupted:
        rows.append(
            ("Interrompu (durée max.)", f"{integer(config.clients * config.messages - run.sent)} messages non envoyés")
        )
    if run.blocked_reader_fate:
        rows.append(("Client qui ne lit plus", run.blocked_reader_fate))
    cpu = "?" if result.server_cpu_s is None else f"{french_number(round(result.server_cpu_s, 1))} s"
    memory = "?" if result.server_peak_bytes is None else f"{integer(result.server_peak_bytes / 2**20)} Mo"
    rows += [
        ("Serveur : CPU / mémoire max", f"{cpu} / {memory}"),
        ("Générateur : CPU", f"{integer(run.generator_cpu_pct)} %"),
        ("Verdict", result.degradation() or "tient la charge"),
    ]
    return rows


def results_table(results: list[LoadResult]) -> Table:
    """Figures in rows, one column per submission."""
    table = Table(title="Test de charge", title_justify="left")
    table.add_column("Mesure")
    measured = [(result, result.run) for result in results if result.run is not None]
    for result, _ in measured:
        table.add_column(Text(result.submission), justify="right")
    columns = [dict(_rows(result, run)) for result, run in measured]
    for label, _ in _rows(*measured[0]) if measured else []:
        table.add_row(label, *(Text(column.get(label, "")) for column in columns))
    return table


def print_results(console: Console, results: list[LoadResult]) -> None:
    for result in results:
        if result.run is None:
            console.print(Text(f"{result.submission} : {result.failure}", style="red"))
        elif result.server_traceback:
            console.print(
                Text(f"{result.submission} : le serveur a affiché une erreur :\n{result.server_traceback}", style="red")
            )
    if any(result.run is not None for result in results):
        console.print(results_table(results))
    if any(result.run and result.run.generator_cpu_pct > 90 for result in results):
        console.print(
            "Le générateur a utilisé plus de 90 % d'un cœur : le débit mesuré est peut-être "
            "celui du générateur, pas celui du serveur.",
            style="yellow",
        )


def _glyphs() -> tuple[str, str]:
    """(bar, 1 s mark), or ASCII when the output cannot encode them."""
    try:
        "█┆".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "#", "|"
    return "█", "┆"


def _column(ms: float) -> int:
    """Where `ms` falls on the plot's log scale from 0.1 ms (column 0) to 10 s (column PLOT_WIDTH)."""
    span = math.log10(PLOT_MAX_MS / PLOT_MIN_MS)
    position = math.log10(min(max(ms, PLOT_MIN_MS), PLOT_MAX_MS) / PLOT_MIN_MS) / span
    return round(position * PLOT_WIDTH)


def _bar(p99_ms: float) -> str:
    """A bar as long as p99 on the log scale, the 1 s limit marked when the bar stops before it."""
    bar, mark = _glyphs()
    length = max(1, _column(p99_ms))
    limit = _column(P99_LIMIT_MS)
    if length >= limit:
        return bar * length
    return bar * length + " " * (limit - length - 1) + mark


def ramp_table(ramp: RampResult) -> Table:
    table = Table(
        title=Text(f"Montée en charge : {ramp.submission}"),
        title_justify="left",
        caption=f"Barre : p99 sur une échelle logarithmique de 0,1 ms à 10 s ; {_glyphs()[1]} = 1 s.",
        caption_justify="left",
    )
    for heading in ("Clients", "Débit l/s", "Pertes", "Erreurs", "p99 ms"):
        table.add_column(heading, justify="right", no_wrap=True)
    table.add_column("p99", no_wrap=True)
    for clients, step in zip(RAMP_STEPS, ramp.steps, strict=False):  # steps end at the first degraded one
        if step.run is None:
            table.add_row(str(clients), "", "", "1", "", Text(step.failure or "", style="red"))
            continue
        p99 = step.run.latency.summary_ms()["p99"]
        style = "red" if step.degradation() else "green"
        table.add_row(
            str(clients),
            integer(step.throughput),
            integer(step.lost),
            str(step.errors),
            milliseconds(p99),
            Text(_bar(p99), style=style),
        )
    return table


def print_ramp(console: Console, ramp: RampResult) -> None:
    console.print(ramp_table(ramp))
    console.print(Text(ramp.summary(), style="red" if ramp.degraded_at else "green"))
