"""The grading scale (« barème »): points per check, and whether the bonus adds to the grade.

`--bareme FILE.toml` overrides the catalogue's points. The format (documented with an example in
docs/bareme-exemple.toml):

    [points]
    S03 = 3          # any check id of the catalogue; the others keep their catalogue points

    [bonus]
    dans_la_note = true   # the bonus points are added to the /20 grade (default: false)
    plafond = 2           # at most this much bonus is added (default: no cap; the grade never exceeds 20)

    [visibilite]          # Gradescope: when the student sees a check (default: visible)
    S11 = "after_due_date"   # visible, after_due_date, after_published or hidden

Every mistake in the file is a `ScaleError` with a French message naming the file, raised before
anything runs.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader.harness.french import os_error
from grader.model import Category, CheckSpec

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

_TABLES = ("points", "bonus", "visibilite")
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's own words
_BONUS_KEYS = ("dans_la_note", "plafond")


class ScaleError(Exception):
    """A scale file that cannot be used; the message is French and meant for the teacher."""


@dataclass
class Scale:
    points: dict[str, float]  # every check id of the catalogue -> its points under this scale
    bonus_in_grade: bool = False
    bonus_cap: float | None = None
    visibility: dict[str, str] = field(default_factory=dict)  # check id -> Gradescope visibility, when not visible


def default_scale(catalogue: dict[str, CheckSpec]) -> Scale:
    """The catalogue's own points, bonus outside the grade."""
    return Scale(points={check_id: spec.points for check_id, spec in catalogue.items()})


def load_scale(path: Path, catalogue: dict[str, CheckSpec]) -> Scale:
    """Read a scale file; raise ScaleError (French) on any problem."""
    data = _read_toml(path)
    where = f"Barème invalide ({path})"
    unknown_tables = sorted(set(data) - set(_TABLES))
    if unknown_tables:
        raise ScaleError(
            f"{where} : section ou clé inconnue « {unknown_tables[0]} ». Sections possibles : [points] et [bonus]."
        )
    scale = default_scale(catalogue)
    for check_id, value in _table(data, "points", where).items():
        if check_id not in catalogue:
            known = ", ".join(catalogue)
            raise ScaleError(
                f"{where} : identifiant de vérification inconnu « {check_id} ». Identifiants connus : {known}."
            )
        scale.points[check_id] = _number(value, f"{where} : points de {check_id}")
    _read_bonus(_table(data, "bonus", where), scale, where)
    scale.visibility = _read_visibility(_table(data, "visibilite", where), catalogue, where)
    base_total = sum(
        points for check_id, points in scale.points.items() if catalogue[check_id].category is not Category.BONUS
    )
    if base_total <= 0:
        raise ScaleError(
            f"{where} : la somme des points hors bonus est nulle, la note sur 20 ne peut pas être calculée."
        )
    return scale


def _read_toml(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScaleError(f"Fichier de barème introuvable : {path}") from None
    except OSError as error:
        raise ScaleError(f"Impossible de lire le fichier de barème {path} : {os_error(error)}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScaleError(f"Barème invalide ({path}) : le fichier n'est pas en UTF-8.") from None
    except tomllib.TOMLDecodeError as error:
        raise ScaleError(f"Barème invalide ({path}) : syntaxe TOML incorrecte ({error}).") from None


def _table(data: dict, name: str, where: str) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ScaleError(f"{where} : « {name} » doit être une section [{name}].")
    return table


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScaleError(f"{what} : un nombre est attendu (reçu : {value!r}).")
    if not math.isfinite(value) or value < 0:
        raise ScaleError(f"{what} : un nombre positif ou nul est attendu (reçu : {value!r}).")
    return float(value)


def _read_visibility(table: dict, catalogue: dict[str, CheckSpec], where: str) -> dict[str, str]:
    for check_id, value in table.items():
        if check_id not in catalogue:
            raise ScaleError(f"{where} : identifiant de vérification inconnu « {check_id} » dans [visibilite].")
        if value not in VISIBILITIES:
            raise ScaleError(
                f"{where} : [visibilite] {check_id} = {value!r} ; valeurs possibles : {', '.join(VISIBILITIES)}."
            )
    return dict(table)


def _read_bonus(table: dict, scale: Scale, where: str) -> None:
    unknown = sorted(set(table) - set(_BONUS_KEYS))
    if unknown:
        raise ScaleError(
            f"{where} : clé inconnue « {unknown[0]} » dans [bonus]. Clés possibles : dans_la_note, plafond."
        )
    in_grade = table.get("dans_la_note", False)
    if not isinstance(in_grade, bool):
        raise ScaleError(f"{where} : [bonus] dans_la_note doit valoir true ou false (reçu : {in_grade!r}).")
    scale.bonus_in_grade = in_grade
    if "plafond" in table:
        if not in_grade:
            raise ScaleError(
                f"{where} : [bonus] plafond n'a de sens qu'avec dans_la_note = true "
                "(sinon le bonus n'entre pas dans la note)."
            )
        scale.bonus_cap = _number(table["plafond"], f"{where} : [bonus] plafond")
