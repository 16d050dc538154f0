"""Deterministic verdicts (issue 6, item 2): graded again, a submission gets the same status for every check.

The reference solution, ten times (two at a time) while every core is kept busy by another process: ten
perfect verdicts; and so for the valid servers that rest (every thread waiting with no deadline). Every
corpus folder, five times (issue 14: five identical grades), with the checks its own corpus test runs
(the first run is the cached one of tests/grading.py, shared with that test; the others run in parallel,
as they mostly wait). All of them are marked `slow`: `python -m pytest -m slow`, run by .ci/run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import test_corpus_bonus, test_corpus_client, test_corpus_serveur, test_corpus_tutoriels, test_hostile
from tests.grading import CORPUS, SOLUTION, GradingResult, grade

REFERENCE_RUNS = 10
RESTING_VALID_SERVERS = ("valide_threads", "valide_asyncio", "valide_selectors")
RESTING_RUNS = 2
SERVER_IDS = ",".join(f"S{n:02d}" for n in range(1, 12))
REFERENCE_PARALLEL_RUNS = 2
CORPUS_RUNS = 5
PARALLEL_RUNS = 8
# pytest-timeout's bounds for these long runs (the default, 120 s, is for one test): every corpus folder
# graded four times more, and ten gradings under CPU load, on a loaded 2-core machine.
CORPUS_RUNS_TIMEOUT_S = 900
UNDER_LOAD_TIMEOUT_S = 600
BURN_CPU = "while True:\n    pass"


def selections() -> dict[str, tuple[str, ...]]:
    """Every corpus folder -> the arguments its corpus test grades it with."""
    chosen = {folder: ("--only", ",".join(checks)) for folder, (checks, _) in test_corpus_serveur.EXPECTED.items()}
    chosen["registre_sans_verrou"] = test_corpus_serveur.UNLOCKED_REGISTRY[1]
    chosen["registre_sans_verrou_lent"] = test_corpus_serveur.SLOW_UNLOCKED_REGISTRY[1]
    chosen["charge_pertes"] = test_corpus_serveur.LOSSY_SERVER[1]
    chosen.update(dict.fromkeys(test_corpus_client.EXPECTED_FAILURES, test_corpus_client.ONLY_CLIENT))
    for folder, (bonuses, _) in test_corpus_bonus.EXPECTED.items():
        chosen[folder] = ("--only", ",".join((*test_corpus_bonus.SERVER_IDS, *bonuses)))
    chosen.update({folder: ("--only", case.only) for folder, case in test_hostile.CASES.items()})
    chosen.update({folder: test_corpus_tutoriels.selection(folder) for folder in test_corpus_tutoriels.EXPECTED})
    return chosen


@pytest.fixture(scope="module")
def corpus_runs() -> dict[str, list[GradingResult]]:
    """Each corpus folder -> its gradings, run after run."""
    chosen = selections()
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        runs = {
            folder: [pool.submit(grade, CORPUS / folder, *args)]  # cached: the corpus test's own run
            + [pool.submit(grade.__wrapped__, CORPUS / folder, *args) for _ in range(CORPUS_RUNS - 1)]
            for folder, args in chosen.items()
        }
        return {folder: [run.result() for run in folder_runs] for folder, folder_runs in runs.items()}


def _differences(results: list[GradingResult], folder: str) -> str:
    """The checks whose status changed from run to run, with each run's message."""
    verdicts = [result.statuses() for result in results]
    changed = sorted({check for v in verdicts for check in v if len({w.get(check) for w in verdicts}) > 1})
    return "\n".join(
        f"{check}, passage {run} : {verdicts[run - 1].get(check)}\n"
        + (result.message(check) if check in verdicts[run - 1] else "")
        for check in changed
        for run, result in enumerate(results, start=1)
    )


def test_every_corpus_folder_is_graded_again() -> None:
    # The attackers (attaque_*) need their targets: tests/test_confinement_attaques.py grades them.
    graded = [path.name for path in CORPUS.iterdir() if path.is_dir() and not path.name.startswith("attaque_")]
    assert sorted(selections()) == sorted(graded)


@pytest.mark.slow
@pytest.mark.timeout(CORPUS_RUNS_TIMEOUT_S)  # the first one runs the module's fixture: every grading
@pytest.mark.parametrize("folder", sorted(selections()))
def test_corpus_verdicts_are_the_same_five_times(corpus_runs, folder: str) -> None:
    first, *others = [result.statuses() for result in corpus_runs[folder]]
    assert first, f"{folder} : aucune vérification dans le rapport"
    assert all(verdicts == first for verdicts in others), _differences(corpus_runs[folder], folder)


def _graded_under_cpu_load(paths: list, *args: str) -> list[GradingResult]:
    """Each path graded (two at a time) while every core is kept busy by another process."""
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN_CPU], stdin=subprocess.DEVNULL) for _ in range(os.cpu_count() or 2)
    ]
    try:
        with ThreadPoolExecutor(max_workers=REFERENCE_PARALLEL_RUNS) as pool:
            return list(pool.map(lambda path: grade.__wrapped__(path, *args), paths))
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.slow
@pytest.mark.timeout(UNDER_LOAD_TIMEOUT_S)
def test_reference_verdicts_under_cpu_load() -> None:
    results = _graded_under_cpu_load([SOLUTION] * REFERENCE_RUNS)
    for run, result in enumerate(results, start=1):
        failed = {check: status for check, status in result.statuses().items() if status != "reussie"}
        assert result.statuses() and not failed, f"passage {run} : {failed}\n{result.output}"
        assert result.exit_code == 0, f"passage {run}\n{result.output}"


@pytest.mark.slow
@pytest.mark.timeout(UNDER_LOAD_TIMEOUT_S)
def test_valid_servers_that_rest_under_cpu_load() -> None:
    """Servers whose every thread waits with no deadline (accept, recv, epoll) are the ones a check may
    judge at rest without waiting out its deadline (docs/verifications.md); a loaded machine must never
    make one look at rest while it still has work. (The reference's accept loop has a deadline: it never
    rests.)"""
    paths = [CORPUS / folder for folder in RESTING_VALID_SERVERS for _ in range(RESTING_RUNS)]
    for path, result in zip(paths, _graded_under_cpu_load(paths, "--only", SERVER_IDS), strict=True):
        failed = {check: status for check, status in result.statuses().items() if status != "reussie"}
        assert result.statuses() and not failed, f"{path.name} : {failed}\n{result.output}"
