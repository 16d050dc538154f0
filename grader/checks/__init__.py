"""The checks: plain pytest functions, one per behaviour, declared with `@verification`.

`serveur.py` (S01..S11), `client.py` (C01..C07) and `bonus.py` (B01..B07). The engine runs these modules
with pytest; `conftest.py` gives them their fixtures (`room`, `client_session`, `scope`, `workspace`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from grader.model import Category, CheckSpec

BONUS_POINTS = 0.5
MARKER = "verification"

_CATEGORY_BY_PREFIX = {"S": Category.SERVER, "C": Category.CLIENT, "B": Category.BONUS}

F = TypeVar("F", bound=Callable)


def verification(
    check_id: str,
    title: str,
    *,
    points: float | None = None,
    requires: tuple[str, ...] = (),
    todo: int | None = None,
) -> Callable[[F], F]:
    """Declare a check: its id (S.., C.., B..), French title, points, the ids it needs, and the "TODO n"
    of the starter file (serveur_exo.py for S.., client_exo.py for C..) where what it judges is written."""
    category = _CATEGORY_BY_PREFIX[check_id[0]]
    if points is None:
        if category is not Category.BONUS:
            raise ValueError(f"{check_id}: points are required outside the bonus")
        points = BONUS_POINTS
    spec = CheckSpec(id=check_id, title=title, points=points, category=category, requires=requires, todo=todo)
    return getattr(pytest.mark, MARKER)(spec)


def spec_of(item: pytest.Item) -> CheckSpec | None:
    """The CheckSpec carried by a collected check, or None for a function that is not a check."""
    marker = item.get_closest_marker(MARKER)
    return marker.args[0] if marker else None
