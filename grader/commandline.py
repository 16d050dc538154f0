"""What the two command lines (`python -m grader`, `python -m grader.charge`) share: their exit codes, the
usage error, and an argparse parser that speaks French only.

argparse writes its help and its errors in English ("usage:", "invalid choice", "error:"). The parser
below titles its sections itself, prefixes its usage with « utilisation : », turns every error into a
`UsageError`, and translates argparse's messages with a small catalogue of its templates (the same
templates gettext would translate; matched on the formatted message, so that nothing global is changed:
pytest, which runs in the same process, keeps its own argparse untouched).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from enum import IntEnum
from typing import NoReturn


class ExitCode(IntEnum):
    OK = 0  # graded: every check outside the bonus passed (load test: no loss, no error)
    FAILED = 1  # some check failed (load test: losses, errors, or a server that did not start)
    USAGE = 2  # wrong arguments, an unreadable submission, an export that cannot be written
    INTERNAL = 3  # the grader itself failed
    INTERRUPTED = 130  # Ctrl-C, SIGTERM, SIGHUP: 128 + SIGINT, as shells report it


class UsageError(Exception):
    """A French message for the user; exit code 2."""


# argparse's message templates (Python 3.10 to 3.14) and their French. %(name)s and %s stand for what
# argparse put there; messages nest ("argument --x: invalid choice: ...").
_TEMPLATES = {
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "un de ces arguments est obligatoire : %s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur en trop : %r",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "au plus une valeur est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (possibles : %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s (%(matches)s ?)",
    "option '%(option)s' is ambiguous; could match %(matches)s": "option ambiguë : %(option)s (%(matches)s ?)",
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%[sr]")


def _compile(template: str) -> re.Pattern[str]:
    """The template as a pattern: each placeholder a group (named `_0`, `_1`... when it has no name)."""
    pattern, position = "", 0
    for number, found in enumerate(_PLACEHOLDER.finditer(template)):
        pattern += re.escape(template[position : found.start()]) + f"(?P<{found.group(1) or f'_{number}'}>.*?)"
        position = found.end()
    return re.compile(pattern + re.escape(template[position:]), re.DOTALL)


_CATALOGUE = [(_compile(english), french) for english, french in _TEMPLATES.items()]


def in_french(message: str) -> str:
    """argparse's message in French (unchanged when it is not one of argparse's own)."""
    for pattern, french in _CATALOGUE:
        found = pattern.fullmatch(message)
        if found:
            values = {name: in_french(value) for name, value in found.groupdict().items()}
            unnamed = iter(value for name, value in values.items() if name.startswith("_"))
            return _PLACEHOLDER.sub(lambda spot: values[spot.group(1)] if spot.group(1) else next(unnamed), french)
    return message


class FrenchParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are French, with -h/--aide/--help. Options are never
    abbreviated (--cs is not taken for --csv)."""

    def __init__(self, prog: str, description: str) -> None:
        super().__init__(prog=prog, description=description, add_help=False, allow_abbrev=False)
        # Python 3.14+: no ANSI colours around "usage:" and the headings, no English "maybe you meant".
        self.color = False
        self.suggest_on_error = False
        self._positionals.title = "arguments"  # "positional arguments"; the options' title is "options"
        self._optionals.title = "options"
        self.add_argument("-h", "--aide", "--help", action="help", help="affiche cette aide")

    def format_usage(self) -> str:
        return _french_usage(super().format_usage())

    def format_help(self) -> str:
        return _french_usage(super().format_help())

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"arguments invalides ({in_french(message)}). Voir : {self.prog} --aide")


def _french_usage(text: str) -> str:
    return "utilisation : " + text.removeprefix("usage: ")


def bounded(kind: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    """An argparse `type`: a number of this kind between low and high, or a French error."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} hors des limites ({low:g} à {high:g})")
        return value

    return parse
