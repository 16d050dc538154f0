"""A class is handed to the workers longest grading first, so that no long one starts last; as many at a
time as fits how gradings spend their time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.batch.discovery import BatchItem
from grader.batch.jobs import WAITING_GRADINGS_PER_CORE, default_jobs
from grader.batch.runner import _likely_duration
from grader.harness import procfs
from grader.model import Student
from tests.programs import switch_proc


def _item(tmp_path: Path, name: str, programs: dict[str, int]) -> BatchItem:
    folder = tmp_path / name
    folder.mkdir()
    for program, size in programs.items():
        (folder / program).write_text("#" * size, encoding="utf-8")
    return BatchItem(source=f"classe/{name}", student=Student(name), path=folder)


def test_both_programs_and_more_code_come_first(tmp_path: Path) -> None:
    items = [
        BatchItem(source="classe/vide", student=Student("vide"), error="Aucun fichier serveur_exo.py"),
        _item(tmp_path, "serveur_seul", {"serveur_exo.py": 9000}),
        _item(tmp_path, "depart", {"serveur_exo.py": 3000, "client_exo.py": 2000}),
        _item(tmp_path, "complet", {"serveur_exo.py": 8000, "client_exo.py": 4000}),
    ]
    order = sorted(items, key=_likely_duration, reverse=True)
    assert [item.student.identifier for item in order] == ["complet", "depart", "serveur_seul", "vide"]


@pytest.mark.skipif(not procfs.available(), reason="/proc illisible ici : une correction y attend ses délais")
def test_one_grading_per_core_where_proc_shows_rest() -> None:
    assert default_jobs() == (os.cpu_count() or 1)


def test_three_per_core_where_gradings_wait_for_their_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    switch_proc(monkeypatch, on=False)
    assert default_jobs() == WAITING_GRADINGS_PER_CORE * (os.cpu_count() or 1) == 3 * (os.cpu_count() or 1)
