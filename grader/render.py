"""The French console report (rich): a live line per check, explanations of failures, the grade.

Dynamic text (messages, transcripts) is always passed as `Text`, never as markup: a student's
`[14:05]` must be printed as it is; and made `printable`: an escape sequence from a folder's name or a
student's output is shown, never obeyed by the terminal. Without a terminal (pipe, file, NO_COLOR) the
output stays plain.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.padding import Padding
from rich.status import Status as Spinner
from rich.table import Table
from rich.text import Text

from grader.checks.bonus import NOT_TRIED
from grader.formats import french_number
from grader.harness.lines import printable
from grader.harness.scope import LEGEND, format_evidence
from grader.model import Category, CheckResult, CheckSpec, Evidence, Status, SubmissionReport
from grader.next_step import STARTER_FILES, next_step
from grader.starter import untouched_note

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


SHORT_LINES = 4  # lines of each piece of evidence in the short report
INDENT = 6


class LiveReport:
    """Listener of the plugin: prints each check as it ends, with a spinner while it runs (terminal only).

    Short by default: one line per check that passes, per bonus not obtained while the required part
    still fails, and per failure of a cause already told ("même cause que S03"); a failure otherwise
    shows what was sent, expected and received, the few lines of evidence that prove it, and the hint.
    `verbose` shows every transcript whole."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.symbols = _symbols()
        self._category: Category | None = None
        self._spinner: Spinner | None = None
        self._causes: dict[str, str] = {}  # a failure's cause -> the first check that failed of it
        self._required_failed = False
        self._legend_shown = False
        self._stopped = False

    def __call__(self, event: str, spec: CheckSpec, result: CheckResult | None) -> None:
        if self._stopped:
            return
        if event == "debut":
            self._start(spec)
        elif result is not None:
            self._stop_spinner()
            self._print(result)

    def stop(self) -> None:
        """Nothing more is drawn (an interrupted grading: "Correction interrompue." is the last line)."""
        self._stopped = True
        self._stop_spinner()

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

    def _print(self, result: CheckResult) -> None:
        is_bonus = result.spec.category is Category.BONUS
        if result.status is Status.FAILED and not is_bonus:
            self._required_failed = True
        cause = _cause(result)
        # One hint may hold another ("Gardez la connexion… " + the thread hint): the same fix.
        same_as = next(
            (check for told, check in self._causes.items() if cause and (cause in told or told in cause)), None
        )
        if cause and same_as is None:
            self._causes[cause] = result.spec.id
        word = "raison" if result.status is Status.SKIPPED else "cause"
        print_check_line(self.console, result, self.symbols, f"même {word} que {same_as}" if same_as else "")
        if result.status is Status.PASSED:
            if result.message:
                _print_lines(self.console, [f"Remarque : {result.message}"], "yellow")
        elif same_as and not self.verbose:
            return
        elif is_bonus and not self.verbose and (self._required_failed or _not_tried(result)):
            return  # the required part comes first; an absent bonus is said by its line alone
        elif result.failure:
            self._print_failure(result, "dim" if is_bonus else "")
        else:
            _print_lines(self.console, result.message.splitlines(), "dim" if result.status is Status.SKIPPED else "")

    def _print_failure(self, result: CheckResult, style: str) -> None:
        _print_lines(self.console, result.failure.splitlines(), style)
        sections = list(result.evidence) if self.verbose else _short_evidence(result)
        text = format_evidence(sections, verbose=self.verbose, legend=not self._legend_shown)
        self._legend_shown = self._legend_shown or LEGEND in text
        _print_lines(self.console, [printable(line) for line in text], "dim")
        if result.hint:
            _print_lines(self.console, [f"Indice : {result.hint}"], style or "cyan")


def _cause(result: CheckResult) -> str:
    """What makes two results tell the same thing: a failure's hint (its text when it has none), a skip's
    reason; "" for the others."""
    if result.status is Status.FAILED:
        return result.hint or result.failure
    return result.message if result.status is Status.SKIPPED else ""


def _not_tried(result: CheckResult) -> bool:
    return result.failure.startswith(NOT_TRIED)


def _short_evidence(result: CheckResult) -> list[Evidence]:
    """The evidence that matters, its last lines: the exchanges of the clients the failure names, the
    programs' output, their tracebacks (whole) and where they wait (whole)."""
    named = [
        section
        for section in result.evidence
        if section.kind != "echanges" or section.title.split(" — ")[0] in result.failure
    ]
    return [
        section
        if section.kind in ("trace", "attente")
        else Evidence(section.kind, section.title, section.lines[-SHORT_LINES:])
        for section in named
    ]


def _points(result: CheckResult) -> str:
    if result.spec.category is Category.BONUS:
        return f"+{french_number(result.points)}" if result.passed else ""
    return f"{french_number(result.points)} / {french_number(result.points_max)}"


def print_check_line(console: Console, result: CheckResult, symbols: dict[str, str], note: str = "") -> None:
    is_bonus = result.spec.category is Category.BONUS
    if result.status is Status.PASSED:
        symbol, style, label = symbols["ok"], "green", ""
    elif result.status is Status.SKIPPED:
        symbol, style, label = symbols["skip"], "dim", "ignorée"
    elif is_bonus and result.status is Status.FAILED:
        symbol, style, label = symbols["bonus"], "dim", "non tenté" if _not_tried(result) else "non obtenu"
    else:
        symbol, style, label = symbols["ko"], "red", "erreur du correcteur" if result.status is Status.ERROR else ""
    line = Text(f"  {symbol} ", style=style)
    line.append(f"{result.spec.id}  ", style="bold")
    line.append(result.spec.title.ljust(TITLE_WIDTH))
    line.append(f" {_points(result)}", style=style)
    for extra in (label, note):
        if extra:
            line.append(f"  ({extra})", style=style)
    console.print(line)


def _print_lines(console: Console, lines: list[str], style: str) -> None:
    """Each line indented, its control characters made visible; a line longer than the terminal wraps
    under its own start, not at column 0."""
    for line in map(printable, lines):
        depth = INDENT + len(line) - len(line.lstrip(" "))
        if console.soft_wrap:  # no terminal: whole lines, nothing wraps
            console.print(Text(" " * depth + line.lstrip(" "), style=style))
        else:
            console.print(Padding(Text(line.lstrip(" "), style=style), (0, 0, 0, depth)))


def print_header(console: Console, submission: str) -> None:
    console.print(Text(f"Correction de {printable(submission)}", style="bold"))
    note = untouched_note(Path(submission))
    if note:
        console.print(Text(note, style="yellow"))


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
        console.print(Text(f"Bonus : +{french_number(report.bonus)} sur {french_number(report.bonus_max)}{counted}"))
    style = "bold green" if report.all_required_passed else "bold"
    console.print(Text(f"Note : {french_number(report.note)} / {french_number(report.note_max)}", style=style))
    if report.selection:
        note = report.partial_note()
        console.print(Text(note[0].upper() + note[1:] + " (--only).", style="bold yellow"))
    step = next_step(report)
    if step:
        console.print()
        console.print(Text(step, style="bold"))


def print_catalogue(console: Console, catalogue: dict[str, CheckSpec]) -> None:
    table = Table(title="Catalogue des vérifications", title_justify="left")
    for column in ("id", "titre", "points", "prérequis", "TODO"):
        table.add_column(column)
    for spec in catalogue.values():
        points = f"+{french_number(spec.points)}" if spec.category is Category.BONUS else french_number(spec.points)
        todo = f"{STARTER_FILES[spec.category]} {spec.todo}" if spec.todo and spec.category in STARTER_FILES else "—"
        table.add_row(spec.id, Text(spec.title), points, ", ".join(spec.requires) or "—", todo)
    console.print(table)
