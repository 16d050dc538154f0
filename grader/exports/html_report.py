"""`--html`: a class report in one self-contained HTML file (inline CSS, SVG and script; no external asset).

Made to be read for a class of 200 as well as for one submission:

- the grade histogram, and the pass rate of every check with its denominator (the submissions on which
  it was evaluated; those skipped because a prerequisite failed, or not graded at all, are counted
  apart); a bonus is rated over the submissions that tried it, in a neutral colour;
- a student × check table: sortable by any column (click its title), filtered by name or by the check
  failed, each name one click from that student's details;
- one folded section per student (`<details>`): the short comment in its title, the message of every
  failure inside. Opening a student from the table unfolds it; printing unfolds nothing and hides the
  controls.

Every piece of text is escaped; the script reads only the page's own attributes, never student text as
code.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from html import escape

from grader.exports.common import (
    check_columns,
    clean_text,
    record_identifier,
    short_comment,
    status_label,
    student_label,
)
from grader.exports.sequence_svg import diagram
from grader.formats import french_number
from grader.harness.scope import full_text
from grader.model import NOTE_MAX, Category, CheckResult, CheckSpec, Status, SubmissionReport
from grader.similarity import FLAG_THRESHOLD, Pair, flagged

TITLE = "Rapport de correction — Serveur de chat"
BIN_WIDTH = 2  # points per histogram bar: 0-2, 2-4, ... 18-20
_BAR_PX, _CHART_H, _LABEL_H = 44, 160, 36

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 92rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ddd; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: .3rem .5rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
.rate { width: 35%; } .track { background: #eee; height: 1rem; border-radius: .2rem; }
.fill { height: 1rem; border-radius: .2rem; }
.good { background: #2e7d32; } .mid { background: #f9a825; } .bad { background: #c62828; }
.neutral { background: #1565c0; }
.fatal { color: #c62828; font-weight: bold; } .muted { color: #666; } .passed { color: #2e7d32; }
pre { background: #f6f6f6; padding: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
svg text { font-size: 12px; fill: #333; } svg rect { fill: #1565c0; }
.controls { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; margin: 1rem 0; }
.controls input, .controls select { font: inherit; padding: .2rem .4rem; }
.grid { overflow-x: auto; max-height: 80vh; }
#classe { font-size: .9rem; } #classe th { position: sticky; top: 0; background: #fafafa; cursor: pointer;
  white-space: nowrap; user-select: none; }
#classe th[aria-sort=ascending]::after { content: " ▲"; } #classe th[aria-sort=descending]::after { content: " ▼"; }
#classe td.c { text-align: center; padding: .3rem .2rem; } #classe td:first-child { white-space: nowrap; }
td[data-check] { white-space: nowrap; }
#classe tr:hover td { background: #f3f7ff; }
.st-p { color: #2e7d32; } .st-f { color: #c62828; font-weight: bold; } .st-e { color: #6a1b9a; font-weight: bold; }
.st-s { color: #999; } .st-n { color: #999; } .st-b { color: #ef6c00; font-weight: bold; }
details.student { border: 1px solid #ddd; border-radius: .4rem; padding: .3rem 1rem; margin: .5rem 0; }
details.student > summary { cursor: pointer; } details.student[open] { padding-bottom: 1rem; }
.grade { font-weight: bold; } .legend span { margin-right: 1rem; }
@media print {
  .controls, .grid-note { display: none; }
  body { max-width: none; margin: 0; font-size: 10pt; }
  .grid { overflow: visible; max-height: none; } #classe th { position: static; }
  tr, details.student, pre { break-inside: avoid; } a { color: inherit; text-decoration: none; }
}
"""

# Sorting, filtering and unfolding: reads only data-* attributes and the rows' order (no student text as code).
_SCRIPT = """
(function () {
  var table = document.getElementById("classe"); if (!table) return;
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("filtre-nom"), failed = document.getElementById("filtre-echec");
  var count = document.getElementById("compte");
  function key(row, index) { var cell = row.cells[index]; return cell.getAttribute("data-v") || cell.textContent; }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.getAttribute("data-type") === "num";
      rows.sort(function (a, b) {
        var x = key(a, index), y = key(b, index);
        var d = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, "fr");
        return ascending ? d : -d;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  function filter() {
    var text = search.value.toLowerCase(), check = failed.value, shown = 0;
    rows.forEach(function (row) {
      var ok = row.getAttribute("data-nom").indexOf(text) >= 0 &&
               (!check || (" " + row.getAttribute("data-echecs") + " ").indexOf(" " + check + " ") >= 0);
      row.hidden = !ok; if (ok) shown += 1;
    });
    count.textContent = shown + " / " + rows.length + " soumission(s)";
  }
  search.addEventListener("input", filter); failed.addEventListener("change", filter); filter();
  function unfold() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", unfold); unfold();
})();
"""

_SYMBOL = {  # (symbol, css class, sort value): failures first when sorted ascending
    "failed": ("✗", "st-f", "0"),
    "error": ("!", "st-e", "0"),
    "bonus_failed": ("✗", "st-b", "1"),
    "skipped": ("–", "st-s", "2"),
    "not_tried": ("·", "st-n", "3"),
    "missing": ("", "st-s", "2"),
    "passed": ("✓", "st-p", "4"),
}
_LEGEND = (
    ("✓", "st-p", "réussie"),
    ("✗", "st-f", "échouée"),
    ("✗", "st-b", "bonus tenté, échoué"),
    ("·", "st-n", "bonus non tenté"),
    ("–", "st-s", "non évaluée (prérequis échoué)"),
    ("!", "st-e", "erreur du correcteur"),
)


def _e(text: object) -> str:
    return escape(clean_text(str(text)), quote=True)


def _outcome(result: CheckResult | None) -> str:
    if result is None:
        return "missing"
    if result.bonus_not_tried:
        return "not_tried"
    if result.status is Status.FAILED and result.spec.category is Category.BONUS:
        return "bonus_failed"
    return {Status.PASSED: "passed", Status.FAILED: "failed", Status.SKIPPED: "skipped", Status.ERROR: "error"}[
        result.status
    ]


def _histogram(grades: list[float]) -> str:
    bins = [0] * int(NOTE_MAX // BIN_WIDTH)
    for grade in grades:
        bins[min(int(grade // BIN_WIDTH), len(bins) - 1)] += 1
    tallest = max(bins) or 1
    parts = []
    for index, count in enumerate(bins):
        height = round(count / tallest * (_CHART_H - 20))
        x = index * _BAR_PX
        low, high = index * BIN_WIDTH, (index + 1) * BIN_WIDTH
        label = f"{low}–{high}"
        parts.append(
            f'<rect x="{x + 4}" y="{_CHART_H - height}" width="{_BAR_PX - 8}" height="{height}">'
            f"<title>{_e(label)} : {count} soumission(s)</title></rect>"
            f'<text x="{x + _BAR_PX / 2}" y="{_CHART_H - height - 4}" text-anchor="middle">{count or ""}</text>'
            f'<text x="{x + _BAR_PX / 2}" y="{_CHART_H + 16}" text-anchor="middle">{_e(label)}</text>'
        )
    width = len(bins) * _BAR_PX
    return (
        f'<svg role="img" aria-label="Histogramme des notes" width="{width}" height="{_CHART_H + _LABEL_H}" '
        f'viewBox="0 0 {width} {_CHART_H + _LABEL_H}">{"".join(parts)}</svg>'
    )


@dataclass(frozen=True)
class PassRate:
    """How one check went over the class."""

    spec: CheckSpec
    passed: int
    evaluated: int  # the denominator: submissions on which it ran (a bonus: those that tried it)
    skipped: int  # not evaluated: a prerequisite failed
    not_tried: int  # a bonus the submission did not attempt
    not_graded: int  # submissions that could not be graded at all

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.evaluated) if self.evaluated else 0


def pass_rates(reports: list[SubmissionReport]) -> list[PassRate]:
    """The pass rate of every check, in grading order, with what its denominator leaves out."""
    rates = []
    for spec in check_columns(reports):
        outcomes = [_outcome(next((r for r in report.results if r.spec.id == spec.id), None)) for report in reports]
        passed = outcomes.count("passed")
        skipped, not_tried, missing = outcomes.count("skipped"), outcomes.count("not_tried"), outcomes.count("missing")
        rates.append(PassRate(spec, passed, len(outcomes) - skipped - not_tried - missing, skipped, not_tried, missing))
    return rates


def _left_out(rate: PassRate) -> str:
    parts = []
    if rate.not_tried:
        parts.append(f"{rate.not_tried} non tenté(s)")
    if rate.skipped:
        parts.append(f"{rate.skipped} non évaluée(s) : prérequis échoué")
    if rate.not_graded:
        parts.append(f"{rate.not_graded} non corrigée(s)")
    return " ; ".join(parts)


def _rate_rows(reports: list[SubmissionReport]) -> str:
    rows = []
    for rate in pass_rates(reports):
        bonus = rate.spec.category is Category.BONUS
        tone = "neutral" if bonus else "good" if rate.percent >= 75 else "mid" if rate.percent >= 40 else "bad"
        tag = " <span class='muted'>(bonus)</span>" if bonus else ""
        rows.append(
            f"<tr><td><strong>{_e(rate.spec.id)}</strong> {_e(rate.spec.title)}{tag}</td>"
            f'<td class="rate"><div class="track"><div class="fill {tone}" style="width: {rate.percent}%"></div>'
            f"</div></td>"
            f'<td data-check="{_e(rate.spec.id)}">{rate.passed} / {rate.evaluated} ({rate.percent} %)</td>'
            f'<td class="muted">{_e(_left_out(rate))}</td></tr>'
        )
    return (
        "<p class='muted'>Réussites / soumissions où la vérification a été évaluée (un bonus : celles qui l'ont "
        "tenté) ; à droite, ce que ce dénominateur laisse de côté.</p>"
        "<table><tr><th>Vérification</th><th>Réussite</th><th>réussies / évaluées</th><th>hors du compte</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _failed_ids(report: SubmissionReport) -> str:
    return " ".join(r.spec.id for r in report.results if _outcome(r) in ("failed", "error", "bonus_failed"))


def _grid(reports: list[SubmissionReport], checks: list[CheckSpec]) -> str:
    head = '<th data-type="text">Étudiant</th><th data-type="num">Note</th><th data-type="num">Bonus</th>' + "".join(
        f'<th data-type="num" title="{_e(spec.title)}">{_e(spec.id)}</th>' for spec in checks
    )
    rows = []
    for index, report in enumerate(reports, start=1):
        label = student_label(report)
        by_id = {r.spec.id: r for r in report.results}
        cells = []
        for spec in checks:
            outcome = _outcome(by_id.get(spec.id))
            symbol, css, value = _SYMBOL[outcome]
            cells.append(
                f'<td class="c {css}" data-v="{value}" title="{_e(spec.id)} : {_e(outcome_label(outcome))}">'
                f"{symbol}</td>"
            )
        grade = "—" if report.fatal_error else french_number(report.note)
        rows.append(
            f'<tr data-nom="{_e(label.casefold())}" data-echecs="{_e(_failed_ids(report))}">'
            f'<td><a href="#etudiant-{index}">{_e(label)}</a></td>'
            f'<td data-v="{report.note}" class="grade">{_e(grade)}</td>'
            f'<td data-v="{report.bonus}">{_e(french_number(report.bonus))}</td>{"".join(cells)}</tr>'
        )
    options = "".join(
        f'<option value="{_e(spec.id)}">a échoué à {_e(spec.id)} — {_e(spec.title)}</option>' for spec in checks
    )
    legend = "".join(f'<span><b class="{css}">{symbol}</b> {label}</span>' for symbol, css, label in _LEGEND)
    return (
        '<div class="controls"><input id="filtre-nom" type="search" placeholder="Filtrer par nom…" '
        'aria-label="Filtrer par nom"><select id="filtre-echec" aria-label="Filtrer par vérification échouée">'
        f'<option value="">toutes les soumissions</option>{options}</select><span id="compte" class="muted"></span>'
        "</div>"
        f'<p class="legend muted">{legend}</p>'
        '<p class="muted grid-note">Cliquez un titre de colonne pour trier, un nom pour ouvrir le détail.</p>'
        f'<div class="grid"><table id="classe"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div>"
    )


def outcome_label(outcome: str) -> str:
    return {
        "failed": "échouée",
        "error": "erreur du correcteur",
        "bonus_failed": "bonus tenté, échoué",
        "skipped": "non évaluée (prérequis échoué)",
        "not_tried": "bonus non tenté",
        "missing": "non corrigée",
        "passed": "réussie",
    }[outcome]


def _student_section(index: int, report: SubmissionReport) -> str:
    grade = "non corrigée" if report.fatal_error else f"{french_number(report.note)} / 20"
    head = (
        f'<details class="student" id="etudiant-{index}"><summary><strong>{_e(student_label(report))}</strong> — '
        f'<span class="grade">{_e(grade)}</span> — {_e(short_comment(report))}</summary>'
        f'<p class="muted">Identifiant : {_e(record_identifier(report))} — bonus : '
        f"{_e(french_number(report.bonus))} / {_e(french_number(report.bonus_max))} — "
        f"soumission : {_e(report.submission)}</p>"
    )
    body = []
    if report.fatal_error:
        body.append(f'<p class="fatal">Correction impossible</p><pre>{_e(report.fatal_error)}</pre>')
    passed = [r.spec.id for r in report.results if r.passed]
    if passed:
        body.append(f'<p class="passed">✓ Réussies : {_e(", ".join(passed))}</p>')
    not_tried = [r.spec.id for r in report.results if r.bonus_not_tried]
    if not_tried:
        body.append(f'<p class="muted">· Bonus non tentés : {_e(", ".join(not_tried))}</p>')
    for result in report.results:
        if result.passed or result.bonus_not_tried:
            continue
        body.append(
            f"<h4>✗ {_e(result.spec.id)} {_e(result.spec.title)} — {_e(status_label(result.status))} "
            f"({_e(french_number(result.points))} / {_e(french_number(result.points_max))})</h4>"
        )
        if result.message:
            body.append(f"<pre>{_e(full_text(result))}</pre>")
        body.append(diagram(result))
    return head + "".join(body) + "</details>"


def _summary(grades: list[float]) -> str:
    if not grades:
        return "Aucune soumission."
    return (
        f"{len(grades)} soumission(s) — moyenne {french_number(round(statistics.mean(grades), 2))} / 20 — "
        f"médiane {french_number(round(statistics.median(grades), 2))} / 20 — "
        f"généré le {datetime.now():%d/%m/%Y à %H:%M}"
    )


def _partial_banner(reports: list[SubmissionReport]) -> str:
    partial = next((report.partial_note() for report in reports if report.selection), "")
    return f'<p class="fatal">{_e(partial[:1].upper() + partial[1:])} (--only).</p>' if partial else ""


def _similarity(pairs: list[Pair] | None) -> str:
    """The --similarite section: the pairs at or above the threshold, most similar first."""
    if pairs is None:
        return ""
    threshold = round(FLAG_THRESHOLD * 100)
    suspects = flagged(pairs)
    intro = (
        f"<p class='muted'>Part du code propre (fichiers de départ soustraits, noms, textes et commentaires "
        f"ignorés) de la plus petite des deux soumissions qui se retrouve dans l'autre ; paires à {threshold} % "
        f"ou plus, sur {len(pairs)} comparées. Un indice à examiner, pas une preuve.</p>"
    )
    if not suspects:
        return f"<h2>Similarité</h2>{intro}<p>Aucune paire à {threshold} % ou plus.</p>"
    rows = "".join(
        f"<tr><td>{round(pair.score * 100)} %</td><td>{_e(pair.first)}</td><td>{_e(pair.second)}</td></tr>"
        for pair in suspects
    )
    return (
        f"<h2>Similarité</h2>{intro}<table><tr><th>part commune</th><th>soumission</th><th>soumission</th></tr>"
        f"{rows}</table>"
    )


def render(reports: list[SubmissionReport], similarity: list[Pair] | None = None) -> str:
    grades = [report.note for report in reports]
    checks = check_columns(reports)
    sections = "".join(_student_section(i, report) for i, report in enumerate(reports, start=1))
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(TITLE)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(TITLE)}</h1><p>{_e(_summary(grades))}</p>{_partial_banner(reports)}"
        f"<h2>Répartition des notes</h2>{_histogram(grades)}"
        f"<h2>Taux de réussite par vérification</h2>{_rate_rows(reports)}"
        f"<h2>Par soumission</h2>{_grid(reports, checks)}{_similarity(similarity)}"
        f"<h2>Détails</h2><p class='muted'>Cliquez une soumission pour déplier ses messages.</p>{sections}"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
