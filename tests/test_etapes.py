"""Grades that follow the work (issue 13): the starters completed TODO by TODO (tests/etapes.py), each step
graded in full; adding code that works never lowers the grade, and the last step, the whole exercise built
from the starters, passes every check it implements."""

from __future__ import annotations

import itertools
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.harness.exercise import CLIENT, SERVER
from tests.etapes import steps
from tests.grading import GradingResult, grade

PARALLEL_RUNS = 4
pytestmark = pytest.mark.slow  # eight whole gradings: about a minute on a busy 2-core machine
NOT_BUILT = {"B01", "B02", "B03", "B04", "B05", "B06", "B07"}  # the bonus: not in the starters' TODOs


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, GradingResult]]:
    done = steps(tmp_path_factory.mktemp("etapes"))
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        results = list(pool.map(lambda step: grade(step[1]), done))
    return [(name, result) for (name, _), result in zip(done, results, strict=True)]


def _summary(walk: list[tuple[str, GradingResult]]) -> str:
    return "\n".join(f"{name} : {result.report.get('note')} {result.statuses()}" for name, result in walk)


def test_the_grade_never_decreases_todo_after_todo(walk) -> None:
    grades = [result.report["note"] for _, result in walk]
    assert all(later >= earlier for earlier, later in itertools.pairwise(grades)), _summary(walk)
    assert grades[0] < grades[-1], _summary(walk)


def test_the_starters_completed_pass_every_check_they_implement(walk) -> None:
    _, last = walk[-1]
    failed = {
        check: status for check, status in last.statuses().items() if status != "reussie" and check not in NOT_BUILT
    }
    assert not failed, last.output


def test_a_client_that_ends_after_its_name_gets_that_one_cause(walk) -> None:
    """The client after its TODO 2: it connects, sends its name and ends. C05 and C06 (how it ends) do not
    pass, and every client check that fails says why: it ended right after its name."""
    name, result = next(step for step in walk if step[0] == "TODO 2 du client")
    assert result.status("C02") == "reussie", result.output
    for check in ("C03", "C04", "C05", "C06", "C07"):
        assert result.status(check) == "echouee", f"{name} {check}\n{result.output}"
        assert "arrêté juste après avoir envoyé son nom" in result.message(check), result.message(check)


def test_the_next_step_moves_on_with_each_todo(walk) -> None:
    """The steps are labelled with the starters' TODO numbers, which are the order the grader checks: after
    "TODO n" of a file, « Prochaine étape » names a later TODO (of that file, or of the client after the
    server), or none."""
    files = {"serveur": SERVER, "client": CLIENT}
    order = [SERVER, CLIENT]
    for name, result in walk[1:]:
        _, number, _, role = name.split()  # "TODO 2 du serveur"
        told = re.search(r"Prochaine étape : .*?—\s+(\S+?),\s+TODO\s+(\d+)", result.output, re.DOTALL)
        if told:
            done, named = (order.index(files[role]), int(number)), (order.index(told[1]), int(told[2]))
            assert named > done, f"{name} : {told[0]}"
