"""What a grading process may answer: its JSON report checked against what the runner asked for.

The runner trusts nothing of the answer but its shape: every check asked is present once and nothing
else, each status is one of the model's, the points are exactly those of the scale for a passed check
and 0 otherwise, durations and texts are bounded. Titles, categories and the bonus rules are taken from
the runner's own catalogue and scale, never from the answer. Anything else -> `InvalidReport` (French).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from grader.catalogue import with_prerequisites
from grader.confinement.model import Confinement
from grader.model import EVIDENCE_KINDS, Arrow, CheckResult, CheckSpec, Evidence, Status, SubmissionReport
from grader.scale import Scale

MAX_MESSAGE_CHARS = 200_000
_REPORT_KEYS = {
    "soumission",
    "note",
    "note_max",
    "bonus",
    "bonus_max",
    "duree_s",
    "verifications",
    "bonus_dans_la_note",
    "plafond_bonus",
    "isolation",
    "note_partielle",
    "seulement",
}
MAX_LAYERS, MAX_LAYER_CHARS = 20, 200
_CHECK_KEYS = {"id", "titre", "categorie", "statut", "points", "points_max", "message", "duree_s"}
_DETAIL_KEYS = {"echec", "indice", "preuves", "sequence"}  # a failure's parts (model.CheckResult), optional
MAX_SECTIONS = 50
MAX_LINES = 20_000  # of all the evidence of one check, and of its arrows
_STATUSES = {status.value: status for status in Status}


class InvalidReport(Exception):
    """A grading process's answer that does not match what was asked; the message says why, in French."""


@dataclass(frozen=True)
class Expected:
    """What the runner asked every grading process for."""

    catalogue: dict[str, CheckSpec]
    scale: Scale
    ids: frozenset[str]
    max_duration_s: float
    selection: tuple[str, ...] = ()  # --only as asked (a partial grade), from the runner, not the answer

    @classmethod
    def of(
        cls, catalogue: dict[str, CheckSpec], scale: Scale, only: set[str] | None, max_duration_s: float
    ) -> Expected:
        ids = with_prerequisites(only, catalogue) if only else set(catalogue)
        return cls(catalogue, scale, frozenset(ids), max_duration_s, tuple(sorted(only)) if only else ())


def _number(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidReport(f"{what} n'est pas un nombre ({_shown(value)})")
    if not low - 1e-9 <= value <= high + 1e-9:
        raise InvalidReport(f"{what} vaut {value}, hors de l'intervalle [{low:g} ; {high:g}]")
    return float(value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _same(value: float, expected: float) -> bool:
    return abs(value - round(expected, 2)) < 1e-6


def _result(item: object, expected: Expected) -> CheckResult:
    if not isinstance(item, dict) or not _CHECK_KEYS <= set(item) <= _CHECK_KEYS | _DETAIL_KEYS:
        raise InvalidReport(f"une vérification du rapport n'a pas la forme attendue ({_shown(item)})")
    check_id = item["id"]
    if check_id not in expected.ids:
        raise InvalidReport(f"vérification inattendue « {_shown(check_id)} »")
    spec = expected.catalogue[check_id]
    status = _STATUSES.get(item["statut"]) if isinstance(item["statut"], str) else None
    if status is None:
        raise InvalidReport(f"{check_id} : statut inconnu {_shown(item['statut'])}")
    worth = expected.scale.points[check_id]
    points_max = _number(item["points_max"], f"{check_id} : points_max", 0, worth)
    points = _number(item["points"], f"{check_id} : points", 0, worth)
    earned = worth if status is Status.PASSED else 0.0
    if not (_same(points_max, worth) and _same(points, earned)):
        raise InvalidReport(
            f"{check_id} : {points} point(s) sur {points_max} pour le statut « {status.value} », "
            f"alors que le barème donne {earned:g} sur {worth:g}"
        )
    message = item["message"]
    if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
        raise InvalidReport(f"{check_id} : message absent ou trop long")
    duration = _number(item["duree_s"], f"{check_id} : durée", 0, expected.max_duration_s)
    return CheckResult(
        spec=spec,
        status=status,
        points=earned,
        points_max=worth,
        message=message,
        duration_s=duration,
        **_details(item, check_id),
    )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_MESSAGE_CHARS:
        raise InvalidReport(f"{what} : texte absent ou trop long")
    return value


def _details(item: dict, check_id: str) -> dict:
    """The failure's parts, each of the model's shape and bounded; absent parts stay empty."""
    try:
        evidence = tuple(Evidence.from_dict(part) for part in item.get("preuves", []))
        arrows = tuple(Arrow.from_dict(arrow) for arrow in item.get("sequence", []))
    except (TypeError, KeyError, AttributeError):
        raise InvalidReport(f"{check_id} : preuves ou séquence mal formées") from None
    lines = [line for part in evidence for line in (part.title, *part.lines)]
    lines += [text for arrow in arrows for text in (arrow.peer, arrow.text)]
    if (
        len(evidence) > MAX_SECTIONS
        or len(lines) > MAX_LINES
        or any(part.kind not in EVIDENCE_KINDS for part in evidence)
    ):
        raise InvalidReport(f"{check_id} : preuves ou séquence mal formées")
    for line in lines:
        _text(line, f"{check_id} : preuves")
    return {
        "failure": _text(item.get("echec", ""), f"{check_id} : échec"),
        "hint": _text(item.get("indice", ""), f"{check_id} : indice"),
        "evidence": evidence,
        "arrows": arrows,
    }


def fitted(report: SubmissionReport) -> SubmissionReport:
    """The report a grading process sends: each failure's parts cut to what `validated_report` accepts (S11's
    30 clients exchange more than MAX_LINES lines), so that a long exchange never makes a whole grading
    invalid. The latest lines are kept (a failure's missing line comes last), with a line telling the cut."""
    return replace(report, results=[_fitted(result) for result in report.results])


def _fitted(result: CheckResult) -> CheckResult:
    arrows = result.arrows[-(MAX_LINES // 4) :]  # two lines each: half the budget at most
    sections = result.evidence[:MAX_SECTIONS]
    budget = (MAX_LINES - 2 * len(arrows)) // max(1, len(sections)) - 2  # a title and a cut line each
    evidence = tuple(part if len(part.lines) <= budget else _cut(part, budget) for part in sections)
    return replace(result, evidence=evidence, arrows=arrows)


def _cut(part: Evidence, kept: int) -> Evidence:
    return replace(part, lines=(f"… ({len(part.lines) - kept} lignes plus anciennes coupées)", *part.lines[-kept:]))


def _isolation(value: object) -> Confinement | None:
    """How the grading process confined the student's programs (absent: not said)."""
    if value is None:
        return None
    texts = (value.get("couches"), value.get("absentes")) if isinstance(value, dict) else (None, None)
    if not (
        isinstance(value, dict)
        and isinstance(value.get("confinee"), bool)
        and all(
            isinstance(items, list)
            and len(items) <= MAX_LAYERS
            and all(isinstance(item, str) and len(item) <= MAX_LAYER_CHARS for item in items)
            for items in texts
        )
    ):
        raise InvalidReport(f"l'isolation du rapport n'a pas la forme attendue ({_shown(value)})")
    return Confinement.from_dict(value)


def validated_report(data: object, expected: Expected) -> SubmissionReport:
    """The report rebuilt from the runner's own catalogue and scale; InvalidReport when `data` does not
    describe exactly the checks asked, with exactly the points the scale gives."""
    if not isinstance(data, dict) or not {"soumission", "verifications"} <= set(data) <= _REPORT_KEYS:
        raise InvalidReport("le rapport n'a pas la forme attendue")
    items = data["verifications"]
    if not isinstance(items, list):
        raise InvalidReport("la liste des vérifications manque")
    results = [_result(item, expected) for item in items]
    ids = [result.spec.id for result in results]
    if len(set(ids)) != len(ids) or set(ids) != expected.ids:
        missing = sorted(expected.ids.difference(ids))
        raise InvalidReport(
            "vérifications manquantes ou en double" + (f" (manquent : {', '.join(missing)})" if missing else "")
        )
    report = SubmissionReport(
        submission=str(data["soumission"]),
        results=results,
        duration_s=_number(data.get("duree_s", 0.0), "la durée", 0, expected.max_duration_s),
        bonus_counts_in_grade=expected.scale.bonus_in_grade,
        bonus_cap=expected.scale.bonus_cap,
        selection=expected.selection,
        isolation=_isolation(data.get("isolation")),
    )
    if "note" in data and not _same(_number(data["note"], "la note", 0, report.note_max), report.note):
        raise InvalidReport(f"la note annoncée ({data['note']}) n'est pas celle des vérifications ({report.note:g})")
    return report
