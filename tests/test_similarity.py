"""`--similarite`: measured on the kit's corpus (scripts/mesurer_similarite.py prints the same figures, and
those of the copydetect library when it is installed), the starter set aside, any bytes read."""

from __future__ import annotations

import sys
from itertools import combinations

import pytest

from grader import similarity
from grader.exports import write_exports
from tests.grading import CORPUS, ROOT, STARTERS, run_grader
from tests.test_exports import CLASS, export_args

sys.path.insert(0, str(ROOT / "scripts"))
import mesurer_similarite as measure

STARTER = similarity.read_programs(STARTERS)


@pytest.fixture(scope="module")
def corpus_scores() -> dict[frozenset[str], float]:
    return measure.ours(measure.corpus(), STARTER)


def test_independent_solutions_are_not_flagged(corpus_scores):
    for pair in combinations(measure.STYLES, 2):
        assert corpus_scores[frozenset(pair)] < similarity.FLAG_THRESHOLD / 2, pair


def test_disguised_copies_are_found_and_ranked_first(corpus_scores):
    for style in measure.STYLES:
        copy = frozenset((style, style + "_copie"))
        assert corpus_scores[copy] >= 0.9, style
        assert max((pair for pair in corpus_scores if style in pair), key=corpus_scores.__getitem__) == copy


def test_the_starter_is_set_aside():
    barely_touched = STARTER.replace("# TODO", "# fait")
    pairs = similarity.similar_pairs({"a": STARTER, "b": barely_touched, "c": STARTER + "\nx = 1\n"}, STARTER)
    assert pairs == []  # nothing of their own to compare: never flagged for sharing the starter
    without = similarity.similar_pairs({"a": STARTER, "b": barely_touched})
    assert without and without[0].score > 0.9  # what subtracting the starter avoids


def test_any_bytes_are_read(tmp_path):
    source = (CORPUS / "valide_selectors" / "serveur_exo.py").read_text(encoding="utf-8")
    (tmp_path / "latin1").mkdir()
    (tmp_path / "latin1" / "serveur_exo.py").write_bytes(source.replace("é", "è").encode("latin-1") + b"\xff\xfe(")
    text = similarity.read_programs(tmp_path / "latin1")
    assert "\ufffd" in text
    pairs = similarity.similar_pairs({"latin1": text, "origine": source}, STARTER)
    assert pairs[0].score > 0.9  # a broken file (bad bytes, unbalanced parenthesis) is still compared


def test_the_ranked_list_and_the_html_section(tmp_path):
    pairs = [similarity.Pair("Alice", "Bob", 0.97), similarity.Pair("Alice", "Zoé", 0.12)]
    lines = similarity.describe(pairs, starter_found=True)
    assert lines[1] == "   97 %  Alice  ↔  Bob" and len(lines) == 2
    write_exports(CLASS, export_args(tmp_path, html="classe.html"), similarity=pairs)
    text = (tmp_path / "classe.html").read_text(encoding="utf-8")
    assert "<h2>Similarité</h2>" in text and "<td>97 %</td><td>Alice</td><td>Bob</td>" in text
    assert "Zoé</td>" not in text.split("<h2>Similarité</h2>")[1]  # under the threshold: not listed


def test_similarity_needs_a_class():
    done = run_grader(str(STARTERS), "--similarite")
    assert done.returncode == 2 and "classe" in done.stderr


@pytest.mark.slow
def test_a_class_graded_with_similarity_lists_the_copy(tmp_path):
    for style in ("valide_threads", "valide_asyncio"):
        (tmp_path / style).mkdir()
        for program in (CORPUS / style).glob("*_exo.py"):
            (tmp_path / style / program.name).write_bytes(program.read_bytes())
    (tmp_path / "copie").mkdir()
    copied = measure.disguise((CORPUS / "valide_asyncio" / "serveur_exo.py").read_text(encoding="utf-8"))
    (tmp_path / "copie" / "serveur_exo.py").write_bytes(copied.encode("latin-1", "replace"))
    done = run_grader(
        str(tmp_path),
        "--only",
        "S01",
        "--sans-isolation",
        "--similarite",
        "--html",
        str(tmp_path / "r.html"),
        "--jobs",
        "2",
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "fichiers de départ soustraits" in done.stdout
    listed = [line for line in done.stdout.splitlines() if "↔" in line]
    assert len(listed) == 1 and "copie" in listed[0] and "valide_asyncio" in listed[0]
    assert "<h2>Similarité</h2>" in (tmp_path / "r.html").read_text(encoding="utf-8")
