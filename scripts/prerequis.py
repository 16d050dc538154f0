"""What the verification scripts share: reading the path of the third-party source they run."""

from __future__ import annotations

import os
from collections.abc import Callable


def required_source(variable: str, missing: Callable[[str | None], str | None]) -> str:
    """The path in the environment variable, or exit 2 after saying in French why the check cannot run."""
    value = os.environ.get(variable)
    reason = missing(value)
    if reason is not None or value is None:
        print(f"Vérification impossible : {reason}.")
        raise SystemExit(2)
    return value
