"""The student's file read as Python (ast), for hints only: what a function calls. Never a verdict."""

from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def parse(path: Path) -> ast.Module | None:
    """The file's syntax tree; None when it cannot be read or is not Python."""
    try:
        return ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None


def names_called(holder: ast.AST, *, nested: bool) -> set[str]:
    """The names of the functions and methods `holder` calls (`name(` or `.name(`); with nested=False, not
    those called only in the functions it defines."""
    names: set[str] = set()
    todo = list(ast.iter_child_nodes(holder))
    while todo:
        node = todo.pop()
        if isinstance(node, FUNCTIONS) and not nested:
            continue
        if isinstance(node, ast.Call):
            names.add(node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", ""))
        todo.extend(ast.iter_child_nodes(node))
    return names
