"""The report model: what a grading run produces, shared by the renderer and every export.

Nothing here knows about pytest, sockets or rich. A `SubmissionReport` is built by the engine and
turned into text, JSON, CSV, HTML... by the other modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from grader.confinement.model import Confinement

NOTE_MAX = 20.0
BONUS_NOT_TRIED = "Bonus non tenté (ou non reconnu) : "  # how a bonus check's message starts when nothing was tried


class Category(str, Enum):
    SERVER = "serveur"
    CLIENT = "client"
    BONUS = "bonus"


class Status(str, Enum):
    PASSED = "reussie"
    FAILED = "echouee"
    SKIPPED = "ignoree"
    ERROR = "erreur"  # the grader itself broke: never expected on any submission


@dataclass(frozen=True)
class CheckSpec:
    """A check of the catalogue, as declared by its marker."""

    id: str
    title: str
    points: float
    category: Category
    requires: tuple[str, ...] = ()
    todo: int | None = None  # the "TODO n" of the starter file where what this check judges is written


@dataclass(frozen=True)
class Evidence:
    """One section of what proves a failure: a client's exchanges, a program's output, its traceback,
    the lines where its threads wait. `lines` are complete; the console shows the last few."""

    kind: str  # one of EVIDENCE_KINDS
    title: str
    lines: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"type": self.kind, "titre": self.title, "lignes": list(self.lines)}

    @classmethod
    def from_dict(cls, data: dict) -> Evidence:
        """TypeError unless every field has its type (a worker's JSON is checked before it is believed)."""
        kind, title, lines = data["type"], data["titre"], data["lignes"]
        if not (
            isinstance(kind, str)
            and isinstance(title, str)
            and isinstance(lines, list)
            and all(isinstance(line, str) for line in lines)
        ):
            raise TypeError("preuve mal formée")
        return cls(kind, title, tuple(lines))


EVIDENCE_KINDS = ("echanges", "sortie", "erreurs", "trace", "attente")


@dataclass(frozen=True)
class Arrow:
    """One line of a check's exchange, for its sequence diagram: between a grader's client (`peer`) and
    the student's program; `sent` is True when the grader sent it. `missing` marks the line that was
    expected and never came (drawn in red)."""

    peer: str
    sent: bool
    text: str
    missing: bool = False

    def to_dict(self) -> dict:
        return {"avec": self.peer, "envoye": self.sent, "texte": self.text, "manquant": self.missing}

    @classmethod
    def from_dict(cls, data: dict) -> Arrow:
        """TypeError unless every field has its type."""
        peer, sent, text, missing = data["avec"], data["envoye"], data["texte"], data.get("manquant", False)
        if not (
            isinstance(peer, str) and isinstance(text, str) and isinstance(sent, bool) and isinstance(missing, bool)
        ):
            raise TypeError("flèche mal formée")
        return cls(peer, sent, text, missing)


@dataclass
class CheckResult:
    spec: CheckSpec
    status: Status
    points: float  # points earned
    points_max: float  # points this check is worth under the scale in use
    message: str = ""  # French explanation (failure, skip reason, remark on a pass), with the evidence's end
    duration_s: float = 0.0
    failure: str = ""  # the failure alone: what was sent, expected, received, and the hint
    hint: str = ""  # the failure's hint: two failures with the same hint have the same cause
    evidence: tuple[Evidence, ...] = ()
    arrows: tuple[Arrow, ...] = ()  # the exchange in time order (sequence diagram)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def bonus_not_tried(self) -> bool:
        """A bonus the submission did not attempt: neither a success nor a fault."""
        return (
            self.spec.category is Category.BONUS
            and self.status is Status.FAILED
            and self.message.startswith(BONUS_NOT_TRIED)
        )

    def to_dict(self) -> dict:
        return {
            "id": self.spec.id,
            "titre": self.spec.title,
            "categorie": self.spec.category.value,
            "statut": self.status.value,
            "points": round(self.points, 2),
            "points_max": round(self.points_max, 2),
            "message": self.message,
            "duree_s": round(self.duration_s, 3),
            **self._details(),
        }

    def _details(self) -> dict:
        details: dict = {}
        if self.failure:
            details["echec"] = self.failure
        if self.hint:
            details["indice"] = self.hint
        if self.evidence:
            details["preuves"] = [part.to_dict() for part in self.evidence]
        if self.arrows:
            details["sequence"] = [arrow.to_dict() for arrow in self.arrows]
        return details


@dataclass
class Student:
    """Who handed the submission in, when a batch layout (Moodle) tells it."""

    identifier: str  # participant number, or the folder/zip name
    name: str = ""


@dataclass
class SubmissionReport:
    submission: str  # the path as the user gave it
    results: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    bonus_counts_in_grade: bool = False
    bonus_cap: float | None = None  # None: the whole bonus may be added (the grade never exceeds 20)
    student: Student | None = None
    fatal_error: str = ""  # set when the submission could not be graded at all (batch: timeout...)
    selection: tuple[str, ...] = ()  # --only: the checks asked (a partial grade); () for a full grading
    isolation: Confinement | None = None  # how the student's programs were confined

    def _sum(self, category_filter: Callable[[Category], bool], attr: str) -> float:
        return sum(getattr(r, attr) for r in self.results if category_filter(r.spec.category))

    @property
    def base_points(self) -> float:
        return self._sum(lambda c: c is not Category.BONUS, "points")

    @property
    def note_max(self) -> float:
        return NOTE_MAX

    @property
    def bonus(self) -> float:
        return self._sum(lambda c: c is Category.BONUS, "points")

    @property
    def bonus_max(self) -> float:
        return self._sum(lambda c: c is Category.BONUS, "points_max")

    @property
    def note(self) -> float:
        """The grade out of 20: the base points, plus the (capped) bonus when the scale says so."""
        base_max = self._sum(lambda c: c is not Category.BONUS, "points_max")
        grade = self.base_points * NOTE_MAX / base_max if base_max else 0.0
        if self.bonus_counts_in_grade:
            extra = self.bonus if self.bonus_cap is None else min(self.bonus, self.bonus_cap)
            grade += extra
        return round(min(grade, NOTE_MAX), 2)

    @property
    def all_required_passed(self) -> bool:
        """True when every check outside the bonus passed (exit code 0)."""
        return not self.fatal_error and all(r.passed for r in self.results if r.spec.category is not Category.BONUS)

    def partial_note(self) -> str:
        """French words saying the grade covers only the checks asked with --only ("" when complete)."""
        if not self.selection:
            return ""
        return (
            f"note partielle : seulement {', '.join(self.selection)} et leurs prérequis, pas la note de la soumission"
        )

    @property
    def has_internal_error(self) -> bool:
        return any(r.status is Status.ERROR for r in self.results)

    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status in (Status.FAILED, Status.ERROR)]

    def to_dict(self) -> dict:
        data = {
            "soumission": self.submission,
            "note": self.note,
            "note_max": self.note_max,
            "bonus": round(self.bonus, 2),
            "bonus_max": round(self.bonus_max, 2),
            "duree_s": round(self.duration_s, 3),
            "verifications": [r.to_dict() for r in self.results],
        }
        if self.bonus_counts_in_grade:
            data["bonus_dans_la_note"] = True
            data["plafond_bonus"] = self.bonus_cap
        if self.student is not None:
            data["etudiant"] = {"identifiant": self.student.identifier, "nom": self.student.name}
        if self.fatal_error:
            data["erreur"] = self.fatal_error
        if self.selection:
            data["note_partielle"] = True
            data["seulement"] = list(self.selection)
        if self.isolation is not None:
            data["isolation"] = self.isolation.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict, catalogue: dict[str, CheckSpec] | None = None) -> SubmissionReport:
        """Rebuild a report from `to_dict()` output (batch mode reads each worker's JSON this way)."""
        results = []
        for item in data.get("verifications", []):
            spec = (catalogue or {}).get(item["id"]) or CheckSpec(
                id=item["id"],
                title=item["titre"],
                points=item["points_max"],
                category=Category(item["categorie"]),
            )
            results.append(
                CheckResult(
                    spec=spec,
                    status=Status(item["statut"]),
                    points=item["points"],
                    points_max=item["points_max"],
                    message=item.get("message", ""),
                    duration_s=item.get("duree_s", 0.0),
                    failure=item.get("echec", ""),
                    hint=item.get("indice", ""),
                    evidence=tuple(Evidence.from_dict(part) for part in item.get("preuves", [])),
                    arrows=tuple(Arrow.from_dict(arrow) for arrow in item.get("sequence", [])),
                )
            )
        student = data.get("etudiant")
        return cls(
            submission=data["soumission"],
            results=results,
            duration_s=data.get("duree_s", 0.0),
            student=Student(student["identifiant"], student.get("nom", "")) if student else None,
            fatal_error=data.get("erreur", ""),
            bonus_counts_in_grade=data.get("bonus_dans_la_note", False),
            bonus_cap=data.get("plafond_bonus"),
            selection=tuple(data.get("seulement", ())),
            isolation=Confinement.from_dict(data["isolation"]) if "isolation" in data else None,
        )
