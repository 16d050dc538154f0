"""Both command lines speak French only: help, usage and every error argparse can raise (issue 15, 7)."""

from __future__ import annotations

import re

import pytest

from grader.charge.cli import build_parser as build_load_parser
from grader.cli import build_parser as build_grading_parser
from grader.commandline import FrenchParser, UsageError, in_french
from tests.grading import SOLUTION, run_grader

# Words of argparse's English output (headings, usage, errors) that must never reach a user.
ENGLISH = re.compile(
    r"usage:|error:|positional arguments|optional arguments|show this help|\binvalid\b|unrecognized|expected|"
    r"required|choose from|ambiguous|not allowed|ignored explicit|could match",
)
WRONG_ARGUMENTS = {
    "python -m grader": [
        ["--nimporte-quoi"],
        [str(SOLUTION), "en", "trop", "--csv-format", "xml"],
        ["--csv-format"],
        ["--jobs", "deux"],
        ["--jobs", "0"],
        ["--cs", "notes.csv"],  # an abbreviation is not taken for --csv
    ],
    "python -m grader.charge": [
        [],
        [str(SOLUTION), "--clients", "beaucoup"],
        [str(SOLUTION), "--clients", "1"],
        [str(SOLUTION), "--json"],
        [str(SOLUTION), "--inconnue"],
    ],
}
PARSERS = {"python -m grader": build_grading_parser, "python -m grader.charge": build_load_parser}


@pytest.mark.parametrize(
    ("program", "argv"), [(program, argv) for program, cases in WRONG_ARGUMENTS.items() for argv in cases]
)
def test_every_usage_error_is_french(program: str, argv: list[str]) -> None:
    with pytest.raises(UsageError) as raised:
        PARSERS[program]().parse_args(argv)
    message = str(raised.value)
    assert message.startswith("arguments invalides (") and message.endswith(f"Voir : {program} --aide"), message
    assert not ENGLISH.search(message), message


@pytest.mark.parametrize("program", sorted(PARSERS))
def test_help_is_french(program: str) -> None:
    text = PARSERS[program]().format_help()
    assert text.startswith(f"utilisation : {program} ")
    assert "\narguments:\n" in text and "\noptions:\n" in text
    assert re.search(r"-h, --aide, --help +affiche cette aide", text)
    assert not ENGLISH.search(text), text


def test_argparse_messages_are_translated_when_nested() -> None:
    english = "argument --csv-format: invalid choice: 'xml' (choose from 'fr', 'intl')"
    assert in_french(english) == "argument --csv-format : choix invalide : 'xml' (possibles : 'fr', 'intl')"
    assert in_french("unrecognized arguments: a b") == "arguments inconnus : a b"
    assert in_french("Un message à nous") == "Un message à nous"


def test_the_help_of_the_grader_is_printed_in_french() -> None:
    done = run_grader("--aide")
    assert done.returncode == 0
    assert done.stdout.startswith("utilisation : python -m grader")
    assert not ENGLISH.search(done.stdout + done.stderr)


def test_a_parser_of_our_own_has_the_french_help_option() -> None:
    parser = FrenchParser("essai", "Un essai.")
    assert parser.parse_args([]) is not None
    with pytest.raises(SystemExit) as raised:
        parser.parse_args(["--aide"])
    assert raised.value.code == 0
