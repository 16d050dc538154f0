"""The French console report (rich): a live line per check, explanations of failures, the grade.

Dynamic text (messages, transcripts) is always passed as `Text`, never as markup: a student's
`[14:05]` must be printed as it is; and made `printable`: an escape sequence from a folder's name or a
student's output is shown, never obeyed by the terminal. Without a terminal (pipe, file, NO_COLOR) the
output stays plain.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.status import Status as Spinner
from rich.table import Table
from rich.text import Text

from grader.formats import french_number
from grader.harness.lines import printable
from grader.model import Category, CheckResult, CheckSpec, Status, SubmissionReport

HEADINGS = {
    Category.SERVER: "Côté serveur (serveur_exo.py)",
    Category.CLIENT: "Côté client (client_exo.py)",
    Category.BONUS: "Améliorations possibles (bonus)",
}
TITLE_WIDTH = 46


def _symbols() -> dict[str, str]:
    """✓ ✗ – ·, or ASCII when the output cannot encode them (an old Windows console, a cp1252 pipe)."""
    fancy = {"ok": "✓", "ko": "✗", "skip": "–", "bonus": "·"}
    try:
        "".join(fancy.values()).encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return {"ok": "OK", "ko": "X", "skip": "-", "bonus": "."}
    return fancy


def make_console() -> Console:
    console = Console(highlight=False)
    console.soft_wrap = not console.is_terminal  # a pipe gets whole lines, never wrapped at 80 columns
    return console


class LiveReport:
    """Listener of the plugin: prints each check as it ends, with a spinner while it runs (terminal only)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.symbols = _symbols()
        self._category: Category | None = None
        self._spinner: Spinner | None = None

    def __call__(self, event: str, spec: CheckSpec, result: CheckResult | None) -> None:
        if event == "debut":
            self._start(spec)
        else:
            self._stop_spinner()
            if result is not None:  # "fin" always carries one
                print_result(self.console, result, self.symbols)

    def _start(self, spec: CheckSpec) -> None:
        if spec.category is not self._category:
            self._category = spec.category
            self.console.print()
            self.console.print(Text(HEADINGS[spec.category], style="bold underline"))
        if self.console.is_terminal:
            self._spinner = self.console.status(Text(f"{spec.id} {spec.title}…"))
            self._spinner.start()

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None


def _points(result: CheckResult) -> str:
    if result.spec.category is Category.BONUS:
        return f"+{french_number(result.points)}" if result.passed else ""
    return f"{french_number(result.points)} / {french_number(result.points_max)}"


def print_result(console: Console, result: CheckResult, symbols: dict[str, str]) -> None:
    is_bonus = result.spec.category is Category.BONUS
    if result.status is Status.PASSED:
        symbol, style, label = symbols["ok"], "green", ""
    elif result.status is Status.SKIPPED:
        symbol, style, label = symbols["skip"], "dim", "ignorée"
    elif is_bonus and result.status is Status.FAILED:
        symbol, style, label = symbols["bonus"], "dim", "non obtenu"
    else:
        symbol, style, label = symbols["ko"], "red", "erreur du correcteur" if result.status is Status.ERROR else ""
    line = Text(f"  {symbol} ", style=style)
    line.append(f"{result.spec.id}  ", style="bold")
    line.append(result.spec.title.ljust(TITLE_WIDTH))
    line.append(f" {_points(result)}", style=style)
    if label:
        line.append(f"  ({label})", style=style)
    console.print(line)
    if result.message and result.status is not Status.PASSED:
        _print_message(console, result.message, "dim" if is_bonus or result.status is Status.SKIPPED else "")
    elif result.message:
        _print_message(console, f"Remarque : {result.message}", "yellow")


def _print_message(console: Console, message: str, style: str) -> None:
    for line in message.splitlines():
        console.print(Text(f"      {printable(line)}", style=style))


def print_header(console: Console, submission: str) -> None:
    console.print(Text(f"Correction de {printable(submission)}", style="bold"))


def print_summary(console: Console, report: SubmissionReport) -> None:
    console.print()
    parts = []
    for category in (Category.SERVER, Category.CLIENT):
        results = [r for r in report.results if r.spec.category is category]
        if results:
            earned = sum(r.points for r in results)
            worth = sum(r.points_max for r in results)
            parts.append(f"{category.value.capitalize()} : {french_number(earned)} / {french_number(worth)}")
    if parts:
        console.print(Text("   ".join(parts)))
    console.print(Text(f"Durée : {french_number(round(report.duration_s, 1))} s", style="dim"))
    if report.isolation is not None:
        console.print(Text(report.isolation.line(), style="dim" if report.isolation.confined else "bold yellow"))
    if report.bonus_max:
        counted = " (compté dans la note)" if report.bonus_counts_in_grade else ""
        console.print(
            Text(f"Bonus : +{french_number(report.bonus)} sur {french_number(report.bonus_max)}{counted}")
        )
    style = "bold green" if report.all_required_passed else "bold"
    console.print(Text(f"Note : {french_number(report.note)} / {french_number(report.note_max)}", style=style))
    if report.selection:
        note = report.partial_note()
        console.print(Text(note[0].upper() + note[1:] + " (--only).", style="bold yellow"))


def print_catalogue(console: Console, catalogue: dict[str, CheckSpec]) -> None:
    table = Table(title="Catalogue des vérifications", title_justify="left")
    for column in ("id", "titre", "points", "prérequis"):
        table.add_column(column)
    for spec in catalogue.values():
        points = f"+{french_number(spec.points)}" if spec.category is Category.BONUS else french_number(spec.points)
        table.add_row(spec.id, Text(spec.title), points, ", ".join(spec.requires) or "—")
    console.print(table)
