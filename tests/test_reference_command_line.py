"""The reference programs' command line (--hote, --port, --aide): help and errors in French."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.grading import SOLUTION

PROGRAMS = ["serveur_exo.py", "client_exo.py"]


def run(program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SOLUTION / program), *arguments],
        capture_output=True,
        text=True,
        encoding="utf-8",
        stdin=subprocess.DEVNULL,
        timeout=30,
    )


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("option", ["--aide", "-h", "--help"])
def test_help_is_french(program: str, option: str) -> None:
    done = run(program, option)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith(f"Utilisation : python {program} [--hote ADRESSE] [--port NUMÉRO]\n")
    assert "--port NUMÉRO" in done.stdout and "usage" not in done.stdout.lower()


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize(
    "arguments, reason",
    [
        (["--port", "abc"], "le port doit être un nombre entier de 0 à 65535, pas « abc »"),
        (["--port", "70000"], "le port doit être un nombre entier de 0 à 65535, pas « 70000 »"),
        (["--port"], "option inconnue, ou sans valeur : --port"),
        (["--hote", "127.0.0.1", "--verbeux"], "option inconnue, ou sans valeur : --verbeux"),
    ],
)
def test_a_wrong_option_is_told_in_french_without_traceback(program: str, arguments: list[str], reason: str) -> None:
    done = run(program, *arguments)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"Erreur : {reason}.\n"), done.stderr
    assert "Traceback" not in done.stderr and "error" not in done.stderr.lower()
