"""`--html`: a class report in one self-contained HTML file (inline CSS and SVG, no external asset).

The grade histogram, the pass rate of every check as a bar (which concept the class missed), then one
section per submission with the message of each failure. Every piece of text is escaped.
"""

from __future__ import annotations

import statistics
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
from grader.model import NOTE_MAX, Category, CheckSpec, SubmissionReport

TITLE = "Rapport de correction — Serveur de chat"
BIN_WIDTH = 2  # points per histogram bar: 0-2, 2-4, ... 18-20
_BAR_PX, _CHART_H, _LABEL_H = 44, 160, 36

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ddd; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: .3rem .5rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
.rate { width: 40%; } .track { background: #eee; height: 1rem; border-radius: .2rem; }
.fill { height: 1rem; border-radius: .2rem; }
.good { background: #2e7d32; } .mid { background: #f9a825; } .bad { background: #c62828; }
.student { border: 1px solid #ddd; border-radius: .4rem; padding: .2rem 1rem 1rem; margin: 1rem 0; }
.grade { float: right; font-weight: bold; } .fatal { color: #c62828; font-weight: bold; }
pre { background: #f6f6f6; padding: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.passed { color: #2e7d32; } .muted { color: #666; }
svg text { font-size: 12px; fill: #333; } svg rect { fill: #1565c0; }
"""


def _e(text: object) -> str:
    return escape(clean_text(str(text)), quote=True)


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


def pass_rates(reports: list[SubmissionReport]) -> list[tuple[CheckSpec, int, int]]:
    """(check, submissions that passed it, submissions graded on it), in grading order."""
    rates = []
    for spec in check_columns(reports):
        outcomes = [r.passed for report in reports for r in report.results if r.spec.id == spec.id]
        rates.append((spec, sum(outcomes), len(outcomes)))
    return rates


def _rate_rows(reports: list[SubmissionReport]) -> str:
    rows = []
    for spec, passed, graded in pass_rates(reports):
        percent = round(100 * passed / graded) if graded else 0
        tone = "good" if percent >= 75 else "mid" if percent >= 40 else "bad"
        bonus = " <span class='muted'>(bonus)</span>" if spec.category is Category.BONUS else ""
        rows.append(
            f"<tr><td><strong>{_e(spec.id)}</strong> {_e(spec.title)}{bonus}</td>"
            f'<td class="rate"><div class="track"><div class="fill {tone}" style="width: {percent}%"></div></div></td>'
            f'<td data-check="{_e(spec.id)}">{passed} / {graded} ({percent} %)</td></tr>'
        )
    return "<table><tr><th>Vérification</th><th>Réussite</th><th></th></tr>" + "".join(rows) + "</table>"


def _student_section(index: int, report: SubmissionReport) -> str:
    head = (
        f'<section class="student" id="etudiant-{index}"><h3>{_e(student_label(report))}'
        f'<span class="grade">{_e(french_number(report.note))} / 20</span></h3>'
        f'<p class="muted">Identifiant : {_e(record_identifier(report))} — bonus : '
        f"{_e(french_number(report.bonus))} / {_e(french_number(report.bonus_max))} — "
        f"soumission : {_e(report.submission)}</p>"
    )
    body = [f"<p>{_e(short_comment(report))}</p>"]
    if report.fatal_error:
        body.append(f'<p class="fatal">Correction impossible</p><pre>{_e(report.fatal_error)}</pre>')
    passed = [r.spec.id for r in report.results if r.passed]
    if passed:
        body.append(f'<p class="passed">✓ Réussies : {_e(", ".join(passed))}</p>')
    for result in report.results:
        if result.passed:
            continue
        body.append(
            f"<h4>✗ {_e(result.spec.id)} {_e(result.spec.title)} — {_e(status_label(result.status))} "
            f"({_e(french_number(result.points))} / {_e(french_number(result.points_max))})</h4>"
        )
        if result.message:
            body.append(f"<pre>{_e(full_text(result))}</pre>")
        body.append(diagram(result))
    return head + "".join(body) + "</section>"


def _summary(grades: list[float]) -> str:
    if not grades:
        return "Aucune soumission."
    return (
        f"{len(grades)} soumission(s) — moyenne {french_number(round(statistics.mean(grades), 2))} / 20 — "
        f"médiane {french_number(round(statistics.median(grades), 2))} / 20 — "
        f"généré le {datetime.now():%d/%m/%Y à %H:%M}"
    )


def render(reports: list[SubmissionReport]) -> str:
    grades = [report.note for report in reports]
    index = "".join(
        f'<li><a href="#etudiant-{i}">{_e(student_label(report))}</a> — {_e(french_number(report.note))} / 20</li>'
        for i, report in enumerate(reports, start=1)
    )
    sections = "".join(_student_section(i, report) for i, report in enumerate(reports, start=1))
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(TITLE)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(TITLE)}</h1><p>{_e(_summary(grades))}</p>"
        f"<h2>Répartition des notes</h2>{_histogram(grades)}"
        f"<h2>Taux de réussite par vérification</h2>{_rate_rows(reports)}"
        f"<h2>Par soumission</h2><ul>{index}</ul>{sections}"
        "</body></html>\n"
    )
