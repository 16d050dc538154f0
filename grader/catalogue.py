"""The catalogue of checks, read from the `@verification` markers of the check modules."""

from __future__ import annotations

import configparser
import fnmatch
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

from grader import checks
from grader.checks import MARKER
from grader.model import CheckSpec

CHECKS_DIR = Path(checks.__file__).parent
# The statement's order: server, client, bonus; a module a teacher adds comes after, alphabetically.
_FIRST_MODULES = ("serveur", "client", "bonus")


def check_module_names() -> list[str]:
    """Names of the check modules in grading order (every module of grader/checks but conftest)."""
    found = {
        info.name
        for info in pkgutil.iter_modules([str(CHECKS_DIR)])
        if not info.name.startswith("_") and info.name != "conftest"
    }
    first = [name for name in _FIRST_MODULES if name in found]
    return first + sorted(found.difference(first))


def check_module_paths() -> list[Path]:
    return [CHECKS_DIR / f"{name}.py" for name in check_module_names()]


class CatalogueError(Exception):
    """A check module declares a check that cannot be run as declared (French message, for the teacher
    who wrote it)."""


def _collected_names() -> list[str]:
    """The patterns of the function names pytest collects in the check modules (checks/pytest.ini)."""
    config = configparser.ConfigParser()
    config.read(CHECKS_DIR / "pytest.ini", encoding="utf-8")
    return config["pytest"]["python_functions"].split()


def specs_of(module: ModuleType) -> list[CheckSpec]:
    """The checks a module declares with @verification, in the order of its source. A check that pytest
    would not collect (its name does not start with test_) is refused: it would be listed, never run."""
    specs = []
    patterns = _collected_names()
    for name, function in inspect.getmembers(module, inspect.isfunction):
        for mark in getattr(function, "pytestmark", []):
            if mark.name != MARKER:
                continue
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                raise CatalogueError(
                    f"{module.__name__}.{name} : la vérification {mark.args[0].id} ne serait jamais lancée, "
                    f"son nom doit commencer par test_ (par exemple test_{name})."
                )
            specs.append((inspect.unwrap(function).__code__.co_firstlineno, mark.args[0]))  # where it is written
    return [spec for _, spec in sorted(specs, key=lambda pair: pair[0])]


def load_catalogue() -> dict[str, CheckSpec]:
    """Every check, by id, in grading order."""
    catalogue: dict[str, CheckSpec] = {}
    for name in check_module_names():
        module = importlib.import_module(f"grader.checks.{name}")
        for spec in specs_of(module):
            if spec.id in catalogue:
                raise CatalogueError(f"identifiant de vérification en double : {spec.id}")
            catalogue[spec.id] = spec
    return catalogue


def with_prerequisites(ids: set[str], catalogue: dict[str, CheckSpec]) -> set[str]:
    """The given ids plus, transitively, the ids they require."""
    selected: set[str] = set()
    pending = list(ids)
    while pending:
        check_id = pending.pop()
        if check_id not in selected:
            selected.add(check_id)
            pending.extend(catalogue[check_id].requires)
    return selected
