"""Measure --similarite on the kit's corpus, and the copydetect library the same way when it is installed.

    python scripts/mesurer_similarite.py

Independent solutions (the four styles of the corpus: threads, asyncio, selectors, socketserver) must
not be flagged; a disguised copy of each (tests/disguise.py: names, comments, messages and layout
changed) must be found, and ranked first for its original. The starter files are set aside by both.
Prints one line per method: the lowest score of a copy, the highest score of two independent solutions,
how many copies rank first, the time taken.
"""

from __future__ import annotations

import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import similarity  # noqa: E402
from tests.disguise import disguise  # noqa: E402

STYLES = ("valide_threads", "valide_asyncio", "valide_selectors", "valide_socketserver")


def corpus() -> dict[str, str]:
    """Each independent solution and its disguised copy (label -> programs' text)."""
    programs = {}
    for style in STYLES:
        text = similarity.read_programs(ROOT / "tests" / "soumissions" / style)
        programs[style] = text
        programs[style + "_copie"] = disguise(text)
    return programs


def ours(programs: dict[str, str], starter: str) -> dict[frozenset[str], float]:
    return {frozenset((p.first, p.second)): p.score for p in similarity.similar_pairs(programs, starter)}


def copydetect_scores(programs: dict[str, str], starter: str) -> dict[frozenset[str], float]:
    from copydetect import CodeFingerprint, compare_files  # measured only: not a dependency of the kit

    with tempfile.TemporaryDirectory() as scratch:

        def fingerprint(label: str, text: str, boilerplate: list[int]) -> CodeFingerprint:
            path = Path(scratch) / f"{label}.py"
            path.write_text(text, encoding="utf-8")
            return CodeFingerprint(str(path), 25, 1, boilerplate=boilerplate)

        common = list(fingerprint("depart", starter, []).hashes)
        prints = {label: fingerprint(label, text, common) for label, text in programs.items()}
        return {frozenset((a, b)): max(compare_files(prints[a], prints[b])[1]) for a, b in combinations(prints, 2)}


def summary(name: str, scores: dict[frozenset[str], float], seconds: float) -> str:
    copies = [scores[frozenset((style, style + "_copie"))] for style in STYLES]
    independent = [scores[frozenset(pair)] for pair in combinations(STYLES, 2)]
    first = sum(
        max((pair for pair in scores if style in pair), key=lambda pair: scores[pair]) == {style, style + "_copie"}
        for style in STYLES
    )
    return (
        f"{name:12} copies : score min {min(copies):.2f} ; solutions indépendantes : score max "
        f"{max(independent):.2f} ; copie classée première : {first}/{len(STYLES)} ; {seconds * 1000:.0f} ms"
    )


def main() -> int:
    programs, starter = corpus(), similarity.read_programs(ROOT / "exercice")
    started = time.perf_counter()
    print(summary("kit", ours(programs, starter), time.perf_counter() - started))
    try:
        started = time.perf_counter()
        print(summary("copydetect", copydetect_scores(programs, starter), time.perf_counter() - started))
    except ImportError:
        print("copydetect n'est pas installé (pip install copydetect, dans un environnement virtuel).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
