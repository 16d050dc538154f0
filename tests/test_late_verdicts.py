"""Without /proc (the path of Windows and macOS), the last wait of S01 and S08 for a late traceback runs
while the next checks run (CheckScope.finish_later; the plugin tells the results in order): the verdicts
are those of one check after the other, with /proc or without, only sooner."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.grading import CORPUS, SOLUTION, GradingResult, grade, grade_without_procfs

GRADERS = {"avec /proc": grade, "sans /proc": grade_without_procfs}
# A tuple without its comma: the thread of each client dies as it starts, with a TypeError, while the
# accept loop goes on; the two silent connections of S01 see it.
THREAD_ARGS = ("args=(connexion, adresse)", "args=(connexion)")
THREAD_DIES_ONLY = ("--only", "S01,S02,S03,B01")


@pytest.fixture(scope="module")
def thread_dies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fil_qui_meurt")
    source = (CORPUS / "valide_threads" / "serveur_exo.py").read_text(encoding="utf-8")
    valid, buggy = THREAD_ARGS
    assert source.count(valid) == 1, "le texte à changer n'est plus dans valide_threads"
    (folder / "serveur_exo.py").write_text(source.replace(valid, buggy), encoding="utf-8")
    return folder


def _summary(result: GradingResult, check: str) -> str:
    return result.message(check).splitlines()[0]


@pytest.mark.parametrize("path", GRADERS)
def test_a_server_whose_client_threads_die_fails_s01_and_what_requires_it_is_skipped(
    thread_dies: Path, path: str
) -> None:
    result = GRADERS[path](thread_dies, *THREAD_DIES_ONLY)
    assert result.statuses() == {"S01": "echouee", "S02": "ignoree", "S03": "ignoree", "B01": "ignoree"}, result.output
    assert "après avoir accepté deux connexions" in _summary(result, "S01")
    assert "TypeError" in _summary(result, "S01")
    for check in ("S02", "S03", "B01"):
        assert result.message(check) == (
            "Ignorée : elle suppose que S01 (Le serveur démarre) réussisse, ce qui n'est pas le cas."
        )


def test_a_traceback_after_clients_vanish_fails_s08_the_same_without_proc() -> None:
    with_proc = grade(CORPUS / "traceback_sur_reset", "--only", "S08")
    without = grade_without_procfs(CORPUS / "traceback_sur_reset", "--only", "S08")
    assert with_proc.statuses() == without.statuses() == {"S01": "reussie", "S08": "echouee"}, without.output
    assert _summary(without, "S08") == _summary(with_proc, "S08")
    assert "ConnectionResetError" in _summary(without, "S08")
    assert "Trace d'erreur du serveur" in without.message("S08")  # its evidence, taken before the server was killed


def test_without_proc_the_reference_passes_with_its_results_in_order_and_its_last_waits_overlapped() -> None:
    with_proc, without = grade(SOLUTION), grade_without_procfs(SOLUTION)
    assert set(without.statuses().values()) == {"reussie"}, without.output
    assert list(without.statuses()) == list(with_proc.statuses())
    checks = without.report["verifications"]
    # S01 and S08 each wait a whole DRAIN after they return, while the next checks run: the checks' own
    # durations add up to more than the grading.
    assert sum(check["duree_s"] for check in checks) > without.report["duree_s"]
