"""A failed check's exchange as a sequence diagram, in inline SVG (no external asset).

One lifeline per client the grader played, one for the student's program (and one for its console when a
console line was expected); each line sent or received is an arrow, in time order; the line that was
expected and never came is a red dashed arrow. Every piece of text is escaped.
"""

from __future__ import annotations

import itertools
from html import escape

from grader.exports.common import clean_text
from grader.model import Arrow, Category, CheckResult

COLUMN_PX = 180
ROW_PX = 28
TOP_PX = 44
LABEL_CHARS = 38
MAX_ARROWS = 40  # the last ones: the end of the exchange is where it went wrong
CONSOLE = "Console du serveur"
_ids = itertools.count(1)  # marker ids unique in the whole HTML document


def _e(text: str) -> str:
    return escape(clean_text(text), quote=True)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def program_name(result: CheckResult) -> str:
    return "Client (client_exo.py)" if result.spec.category is Category.CLIENT else "Serveur (serveur_exo.py)"


def lifelines(result: CheckResult, arrows: list[Arrow]) -> list[str]:
    """The grader's clients in order of appearance, the student's program, then the console if needed."""
    peers = list(dict.fromkeys(arrow.peer for arrow in arrows if arrow.peer))
    console = [CONSOLE] if any(not arrow.peer for arrow in arrows) else []
    return [*peers, program_name(result), *console]


def diagram(result: CheckResult) -> str:
    """The SVG of the result's exchange, or "" when it has none."""
    arrows = list(result.arrows)
    if not arrows:
        return ""
    earlier = max(0, len(arrows) - MAX_ARROWS)
    arrows = arrows[earlier:]
    names = lifelines(result, arrows)
    x = {name: COLUMN_PX * index + COLUMN_PX // 2 for index, name in enumerate(names)}
    program = program_name(result)
    prefix = f"seq{next(_ids)}"
    height = TOP_PX + ROW_PX * (len(arrows) + 1)
    width = COLUMN_PX * len(names)
    parts = [
        f'<defs><marker id="{prefix}-ok" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>'
        f'<marker id="{prefix}-ko" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker></defs>'
    ]
    for name in names:
        parts.append(
            f'<text x="{x[name]}" y="18" text-anchor="middle" style="font-weight: bold">{_e(_short(name))}</text>'
            f'<line x1="{x[name]}" y1="26" x2="{x[name]}" y2="{height - 6}" stroke="#999" stroke-dasharray="4 3"/>'
        )
    if earlier:
        parts.append(f'<text x="6" y="{TOP_PX - 4}" style="fill: #666">… {earlier} ligne(s) plus tôt</text>')
    for row, arrow in enumerate(arrows, start=1):
        parts.append(_arrow(arrow, x, program, TOP_PX + ROW_PX * row, prefix))
    return (
        f'<svg class="sequence" role="img" aria-label="Échanges de {_e(result.spec.id)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(parts)}</svg>"
    )


def _arrow(arrow: Arrow, x: dict[str, int], program: str, y: int, prefix: str) -> str:
    peer = arrow.peer or CONSOLE
    start, end = (x[peer], x[program]) if arrow.sent else (x[program], x[peer])
    colour, marker = ("#c62828", "ko") if arrow.missing else ("#333", "ok")
    dash = ' stroke-dasharray="6 4"' if arrow.missing else ""
    label = f"✗ attendu : {arrow.text}" if arrow.missing else arrow.text
    middle = (start + end) // 2
    return (
        f'<line x1="{start}" y1="{y}" x2="{end}" y2="{y}" stroke="{colour}" stroke-width="1.5"{dash} '
        f'marker-end="url(#{prefix}-{marker})"/>'
        f'<text x="{middle}" y="{y - 5}" text-anchor="middle" style="fill: {colour}">'
        f"<title>{_e(label)}</title>{_e(_short(label))}</text>"
    )
