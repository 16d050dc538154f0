"""Où passe le temps d'une correction : le profil (cProfile) d'une exécution, et la durée de chaque vérification.

    python bench/profil.py solution/
    python bench/profil.py exercice/ --lignes 30 --only S02,S03
    python bench/profil.py solution/ --processeur     # sans profil : le processeur du correcteur et des programmes

Le temps d'horloge d'une vérification qui attend un délai (le correcteur dort) n'apparaît pas comme du
calcul : il se lit dans la durée de la vérification, le calcul dans le profil.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import sys
import time
from pathlib import Path

from mesure import machine_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.engine import grade  # noqa: E402  (the kit, from this very folder)


def processor_time(path: Path, only: set[str] | None) -> int:
    """The grading's own CPU (this process: the grader, its threads, its reads of /proc) apart from the
    CPU of the programs it started (the students' programs, through the confinement launcher)."""
    began = time.monotonic()
    report = grade(path, only=only)
    own = resource.getrusage(resource.RUSAGE_SELF)
    started = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(machine_line())
    print(
        f"Correction de {path} : {time.monotonic() - began:.2f} s d'horloge, note {report.note:g} ; "
        f"processeur : correcteur {own.ru_utime + own.ru_stime:.2f} s, "
        f"programmes lancés {started.ru_utime + started.ru_stime:.2f} s"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Profil d'une correction (cProfile) et durée de chaque vérification.")
    parser.add_argument("chemin", type=Path, help="dossier de la soumission")
    parser.add_argument("--only", help="seulement ces vérifications (et leurs prérequis), ex. S02,S03")
    parser.add_argument("--lignes", type=int, default=25, help="fonctions du correcteur montrées (défaut : 25)")
    parser.add_argument(
        "--processeur",
        action="store_true",
        help="sans profil : secondes de processeur du correcteur lui-même et des programmes lancés",
    )
    args = parser.parse_args()
    only = {part.strip().upper() for part in args.only.split(",")} if args.only else None
    if args.processeur:
        return processor_time(args.chemin, only)
    profiler = cProfile.Profile()
    report = profiler.runcall(grade, args.chemin, only=only)
    print(f"Correction de {args.chemin} : {report.duration_s:.2f} s, note {report.note:g} / {report.note_max:g}\n")
    print("Durée de chaque vérification (horloge) :")
    for result in sorted(report.results, key=lambda r: -r.duration_s):
        print(f"  {result.spec.id}  {result.duration_s:6.2f} s  {result.status.value}")
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(r"grader[/\\](harness|checks|engine|plugin)", args.lignes)
    print("\nFonctions du correcteur, par temps cumulé :")
    print(text.getvalue().split("\n", 6)[-1] if "ncalls" in text.getvalue() else text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
