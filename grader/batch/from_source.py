"""The kit's own modules compiled from their source, never read from a `.pyc`.

A `.pyc` that a program dropped in the kit's `__pycache__`, with the header of the unchanged source, would
be what Python runs. `install(kit_root)` puts in front of Python's import system a finder for the `grader`
package (and only it): found under `kit_root`, compiled from the `.py`, its bytecode cache never read nor
written. Everything else (the standard library, pytest, rich) keeps its usual cache.

Standard library only: the batch workers run this file by its path (`runpy.run_path`, which compiles it
from source too) before they import anything of the kit.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import CodeType, ModuleType

PACKAGE = "grader"


class _SourceOnly(SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        return compile(self.get_data(path), path, "exec", dont_inherit=True)


class KitFinder:
    """Finds `grader` and its modules under the kit's folder only, and loads them from source."""

    def __init__(self, kit_root: str) -> None:
        self.kit_root = kit_root

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != PACKAGE and not name.startswith(PACKAGE + "."):
            return None
        spec = PathFinder.find_spec(name, [self.kit_root] if path is None else path)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            spec.loader = _SourceOnly(name, spec.origin)
        return spec


def install(kit_root: str) -> None:
    """From now on, this process imports the kit's modules from source (idempotent)."""
    if not any(type(finder).__name__ == KitFinder.__name__ for finder in sys.meta_path):
        sys.meta_path.insert(0, KitFinder(kit_root))
