"""Correct programs with timed waits (issue 13), their one-bug mutants, under CPU load, and without /proc.

A program with a sleep, a recv() or select() with a timeout, a periodic task or serve_forever()'s poll
interval is never at rest (grader/harness/rest.py): every wait it meets runs to its deadline, and none
may fail it. The valid ones are in tests/soumissions/ (their expectations in the corpus tests, graded three
times by test_determinism.py); each mutant here is one of them with one bug, written in at test time, and
fails exactly the check of its bug. The slow tests grade them all again while every core is busy, and
with /proc reading turned off (GRADER_SANS_PROC, the path of Windows and macOS): the same verdicts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import test_corpus_client, test_corpus_serveur
from tests.etapes import steps
from tests.grading import (
    CORPUS,
    GRADE_TOGETHER_TIMEOUT_S,
    SOLUTION,
    GradingResult,
    assert_failures_named,
    grade,
    grade_together,
    grade_without_procfs,
    selected,
)

BURN_CPU = "while True:\n    pass"
PARALLEL_RUNS = 4


@dataclass(frozen=True)
class Mutant:
    base: str  # the valid corpus folder it is built on
    filename: str
    bug: tuple[str, str]  # the text of the valid program, what replaces it
    only: str  # the checks it is graded on
    failures: dict[str, tuple[str, ...]]  # failing check -> French words of its message; the others pass


MUTANTS = {
    "serveur_delai_recv_sans_depart": Mutant(
        "valide_delai_recv",
        "serveur_exo.py",
        ('        print(f"{nom} a quitté le chat.")\n', ""),
        "S03,S07",
        {"S07": ("Bob a quitté le chat.",)},
    ),
    "serveur_delai_select_sans_depart": Mutant(
        "valide_delai_select",
        "serveur_exo.py",
        ('    if nom is not None:\n        print(f"{nom} a quitté le chat.")\n', ""),
        "S03,S07",
        {"S07": ("Bob a quitté le chat.",)},
    ),
    "client_delai_recv_drapeau_oublie": Mutant(  # after exit, the receiving thread polls on forever
        "client_valide_delai_recv", "client_exo.py", ("    arret.set()\n", ""), "C03,C05", {"C05": ("tourne encore",)}
    ),
    "client_delai_pause_reste_apres_fermeture": Mutant(  # the server gone, it stays in input()
        "client_valide_delai_pause",
        "client_exo.py",
        ("    os._exit(0)\n", ""),
        "C03,C06",
        {"C06": ("ne s'arrête pas",)},
    ),
}


def _mutant_folder(root: Path, name: str) -> Path:
    mutant = MUTANTS[name]
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    source = (CORPUS / mutant.base / mutant.filename).read_text(encoding="utf-8")
    valid, buggy = mutant.bug
    assert source.count(valid) == 1, f"{name} : le texte à changer n'est plus dans {mutant.base}"
    (folder / mutant.filename).write_text(source.replace(valid, buggy), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def mutants(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Path]:
    """Each mutant written in a folder of its own; those of the selected tests graded together."""
    root = tmp_path_factory.mktemp("mutants")
    folders = {name: _mutant_folder(root, name) for name in MUTANTS}
    grade_together((folders[name], ("--only", MUTANTS[name].only)) for name in selected(request, "name"))
    return folders


def _expected(mutant: Mutant) -> dict[str, str]:
    checks = mutant.only.split(",")
    prerequisite = "S01" if checks[0].startswith("S") else "C01"
    return {check: "echouee" if check in mutant.failures else "reussie" for check in [prerequisite, *checks]}


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the mutants' gradings
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_fails_exactly_the_check_of_its_bug(mutants: dict[str, Path], name: str) -> None:
    result = grade(mutants[name], "--only", MUTANTS[name].only)
    assert result.statuses() == _expected(MUTANTS[name]), result.output
    assert_failures_named(result, MUTANTS[name].failures)


# -- the same verdicts under CPU load and without /proc ---------------------------------------------------
def _timed_corpus() -> dict[str, tuple[str, ...]]:
    """The valid programs with timed waits -> the arguments their corpus test grades them with."""
    servers = {
        folder: ("--only", ",".join(checks))
        for folder, (checks, _) in test_corpus_serveur.EXPECTED.items()
        if "_delai_" in folder
    }
    clients = dict.fromkeys(
        (folder for folder in test_corpus_client.EXPECTED_FAILURES if "_delai_" in folder),
        test_corpus_client.ONLY_CLIENT,
    )
    return {**servers, **clients}


def _submissions(mutants: dict[str, Path], walk_end: Path) -> list[tuple[Path, tuple[str, ...]]]:
    """Every program of this corpus with the arguments it is graded with: the valid ones with timed waits,
    their mutants, and beside them the starters completed and the reference (their accept() is timed on
    Windows only: here they rest, and stand for what most of a class hands in)."""
    return [
        *((CORPUS / folder, args) for folder, args in _timed_corpus().items()),
        *((mutants[name], ("--only", MUTANTS[name].only)) for name in MUTANTS),
        (walk_end, ()),
        (SOLUTION, ()),
    ]


def _graded(submissions: list[tuple[Path, tuple[str, ...]]], how: Callable[..., GradingResult]) -> list[GradingResult]:
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        return list(pool.map(lambda submission: how(submission[0], *submission[1]), submissions))


def _mismatches(submissions, firsts: list[GradingResult], seconds: list[GradingResult]) -> str:
    return "\n".join(
        f"{path.name} : {first.statuses()} puis {second.statuses()}\n{second.output}"
        for (path, _), first, second in zip(submissions, firsts, seconds, strict=True)
        if first.statuses() != second.statuses() or not first.statuses()
    )


@pytest.fixture(scope="module")
def walk_end(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return steps(tmp_path_factory.mktemp("etapes"))[-1][1]


@pytest.mark.slow
def test_timed_waits_get_the_same_verdicts_under_cpu_load(mutants: dict[str, Path], walk_end: Path) -> None:
    submissions = _submissions(mutants, walk_end)
    quiet = _graded(submissions, grade)
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN_CPU], stdin=subprocess.DEVNULL) for _ in range(os.cpu_count() or 2)
    ]
    try:
        loaded = _graded(submissions, grade.__wrapped__)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert not _mismatches(submissions, quiet, loaded), _mismatches(submissions, quiet, loaded)


@pytest.mark.slow
def test_without_procfs_the_verdicts_are_the_same(mutants: dict[str, Path], walk_end: Path) -> None:
    """The portable path: no /proc, so no rest is ever proven and no process is found by its token; every
    deadline runs out in full, and the verdicts do not change."""
    submissions = _submissions(mutants, walk_end)
    submissions += [
        (CORPUS / folder, args)
        for folder, args in (
            ("valide_threads", ("--only", ",".join(test_corpus_serveur.SERVER_IDS))),
            ("client_sans_thread_reception", test_corpus_client.ONLY_CLIENT),
            ("client_exit_reste_vivant", test_corpus_client.ONLY_CLIENT),
        )
    ]
    with_procfs, without = _graded(submissions, grade), _graded(submissions, grade_without_procfs)
    assert not _mismatches(submissions, with_procfs, without), _mismatches(submissions, with_procfs, without)
