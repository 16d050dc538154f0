"""Vitesse du correcteur : la médiane de N exécutions complètes de `python -m grader`, et son rapport au plancher.

    python bench/vitesse.py                           # référence (avec et sans /proc), fichiers de départ, classe de 30
    python bench/vitesse.py reference reference_sans_proc
    python bench/vitesse.py classe_sans_proc --jobs 1,2,3,4   # le meilleur --jobs sans /proc
    python bench/vitesse.py --runs 5 --json mesures.json

Chaque ligne dit la machine (processeur, cœurs, charge moyenne avant et après la mesure) et le rapport au
plancher (25 × `python -c pass`, mesuré juste avant chaque exécution : le rapport est la médiane des
rapports de chaque exécution à son plancher, ce qui résiste mieux à une charge qui varie). « Sans /proc » :
GRADER_SANS_PROC=1, le chemin de Windows et macOS (chaque attente va à son délai). Pour la classe, les
verdicts de chaque vérification sont comparés d'une exécution à l'autre. La classe de 30 est construite
dans un dossier temporaire à partir du corpus de tests. Bibliothèque standard seulement ; le correcteur est
lancé comme un enseignant le lance.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mesure import ROOT, Floor, french, load_average, machine, machine_line

CORPUS = ROOT / "tests" / "soumissions"
SOLUTION = ROOT / "solution"
STARTERS = ROOT / "exercice"
SERVER, CLIENT = "serveur_exo.py", "client_exo.py"
CLASS_SIZE = 30
NOT_IN_CLASS = ("hostile_", "attaque_")  # the attackers go after the grader: never in a class measured
NO_PROC = {"GRADER_SANS_PROC": "1"}


@dataclass(frozen=True)
class Measure:
    name: str
    title: str
    arguments: Callable[[Path], list[str]]  # the grader's arguments, given a scratch folder
    env: dict[str, str]
    target_ratio: float | None = None  # to the floor
    target_s: float | None = None
    batch: bool = False


def _in_class(folder: str) -> bool:
    """Not the hostile programs, nor those added later for one check (the timed waits of issue 13, the
    broadcast paused after each send of issue 14): the class stays the one every earlier figure was
    measured on."""
    return not folder.startswith(NOT_IN_CLASS) and "_delai_" not in folder and not folder.endswith("_lent")


def class_of_30(scratch: Path) -> Path:
    """30 students, each handing in a server and a client of the corpus: every server of the corpus but
    the hostile ones (valid, classic bugs, bonus bugs), the reference twice, the starter, and a server
    that accepts without reading; the clients of the corpus, the reference's and the starter's in turn."""
    servers = sorted(p.parent for p in CORPUS.glob(f"*/{SERVER}") if _in_class(p.parent.name))
    servers += [SOLUTION, SOLUTION, STARTERS, CORPUS / "hostile_accepte_sans_lire"]
    clients = sorted(p.parent for p in CORPUS.glob(f"*/{CLIENT}") if _in_class(p.parent.name))
    clients += [SOLUTION, STARTERS]
    classe = scratch / "classe"
    for number, server in enumerate(servers[:CLASS_SIZE]):
        student = classe / f"etudiant{number + 1:02d}"
        student.mkdir(parents=True)
        shutil.copy(server / SERVER, student / SERVER)
        shutil.copy(clients[number % len(clients)] / CLIENT, student / CLIENT)
    if len(list(classe.iterdir())) != CLASS_SIZE:
        raise SystemExit(f"Le corpus ne suffit pas pour une classe de {CLASS_SIZE}.")
    return classe


MEASURES = [
    Measure("reference", "solution de référence", lambda _: [str(SOLUTION)], {}, target_ratio=3.0),
    Measure(
        "reference_sans_proc", "solution de référence, sans /proc", lambda _: [str(SOLUTION)], NO_PROC, target_ratio=5.0
    ),
    Measure("depart", "fichiers de départ (exercice/)", lambda _: [str(STARTERS)], {}),
    Measure(
        "classe", f"classe de {CLASS_SIZE}", lambda scratch: [str(class_of_30(scratch))], {}, target_s=60.0, batch=True
    ),
    Measure(
        "classe_sans_proc",
        f"classe de {CLASS_SIZE}, sans /proc",
        lambda scratch: [str(class_of_30(scratch))],
        NO_PROC,
        batch=True,
    ),
    Measure(
        "accepte_sans_lire",
        "serveur qui accepte sans jamais lire",
        lambda _: [str(CORPUS / "hostile_accepte_sans_lire")],
        {},
    ),
    Measure("corpus", "tout le corpus de tests (tests/soumissions)", lambda _: [str(CORPUS)], {}, batch=True),
    Measure("corpus_sans_proc", "tout le corpus de tests, sans /proc", lambda _: [str(CORPUS)], NO_PROC, batch=True),
]
DEFAULT = ["reference", "reference_sans_proc", "depart", "classe"]


def run_once(measure: Measure, jobs: int | None) -> tuple[float, dict[str, dict[str, str]]]:
    """Seconds taken by one whole `python -m grader` process, and the verdicts: student -> check -> status."""
    with tempfile.TemporaryDirectory(prefix="bench-vitesse-") as scratch:
        report = Path(scratch) / "rapport.json"
        command = [
            sys.executable,
            "-m",
            "grader",
            *measure.arguments(Path(scratch)),
            "--silencieux",
            "--json",
            str(report),
        ]
        if jobs is not None:
            command += ["--jobs", str(jobs)]
        began = time.monotonic()
        subprocess.run(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **measure.env},
            check=False,
        )
        elapsed = time.monotonic() - began
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return elapsed, {}
    reports = data.get("soumissions", [data])
    return elapsed, {
        Path(str(r.get("soumission"))).name: {c["id"]: c["statut"] for c in r.get("verifications", [])} for r in reports
    }


def differences(verdicts: list[dict[str, dict[str, str]]]) -> list[str]:
    """« étudiant : vérification (statut/statut…) » for every verdict that is not the same in every run that
    wrote a report (a run without one is told apart, not taken for every verdict changing)."""
    verdicts = [run for run in verdicts if run]
    if not verdicts:
        return []
    found = []
    for student in sorted(set().union(*verdicts)):
        checks = sorted(set().union(*(v.get(student, {}) for v in verdicts)))
        for check in checks:
            statuses = [v.get(student, {}).get(check, "absente") for v in verdicts]
            if len(set(statuses)) > 1:
                found.append(f"{student} : {check} ({'/'.join(statuses)})")
    return found


def report_line(
    measure: Measure,
    jobs: int | None,
    times: list[float],
    floors: list[float],
    load_before: str,
    verdicts: list[dict[str, dict[str, str]]],
) -> str:
    """Each run is paired with a floor measured just before it: the ratio is the median of the runs' ratios."""
    median = statistics.median(times)
    ratio = statistics.median(t / f for t, f in zip(times, floors, strict=True))
    title = measure.title + (f", --jobs {jobs}" if jobs is not None else "")
    line = (
        f"{title} : médiane {french(median)} s = {french(ratio, 2)} × le plancher "
        f"[{' '.join(french(t) for t in sorted(times))}] ; charge {load_before} → {load_average()}"
    )
    if measure.target_ratio is not None:
        reached = ratio <= measure.target_ratio
        line += f" ; cible {french(measure.target_ratio)} × le plancher : {'atteinte' if reached else 'MANQUÉE'}"
    if measure.target_s is not None:
        line += f" ; cible {french(measure.target_s)} s : {'atteinte' if median <= measure.target_s else 'MANQUÉE'}"
    silent = sum(1 for run in verdicts if not run)
    if silent:
        line += f" ; {silent} exécution(s) sans rapport JSON (le correcteur n'a rien exporté)"
    if len(verdicts) - silent > 1:
        changed = differences(verdicts)
        line += (
            f" ; verdicts identiques sur les {len(verdicts) - silent} exécutions"
            if not changed
            else f" ; verdicts DIFFÉRENTS d'une exécution à l'autre : {', '.join(changed)}"
        )
    return line


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Mesure la vitesse du correcteur (médiane de N exécutions, rapport au plancher)."
    )
    names = [measure.name for measure in MEASURES]
    parser.add_argument(
        "mesures", nargs="*", metavar="MESURE", help=f"parmi : {', '.join(names)} (défaut : {', '.join(DEFAULT)})"
    )
    parser.add_argument("--runs", type=int, default=3, help="exécutions par mesure (défaut : 3)")
    parser.add_argument(
        "--jobs", default="2", help="classe : corrections en parallèle, une liste possible : 1,2,4 (défaut : 2)"
    )
    parser.add_argument("--json", type=Path, help="écrit les mesures dans ce fichier")
    args = parser.parse_args()
    unknown = sorted(set(args.mesures) - set(names))
    if unknown:
        parser.error(f"mesure inconnue : {', '.join(unknown)}")
    chosen = [m for m in MEASURES if m.name in (args.mesures or DEFAULT)]
    print(machine_line(), flush=True)
    print(f"Commande : python bench/vitesse.py {' '.join(sys.argv[1:])}".rstrip(), flush=True)
    floor = Floor()
    lines, results = [], {}
    for measure in chosen:
        for jobs in [int(j) for j in args.jobs.split(",")] if measure.batch else [None]:
            load_before = load_average()
            floors, runs = [], []
            for _ in range(args.runs):
                floors.append(floor.measure())
                runs.append(run_once(measure, jobs))
            times, verdicts = [t for t, _ in runs], [v for _, v in runs]
            lines.append(report_line(measure, jobs, times, floors, load_before, verdicts))
            print(lines[-1], flush=True)
            key = measure.name + (f"_jobs{jobs}" if jobs is not None else "")
            results[key] = {
                "mediane_s": round(statistics.median(times), 2),
                "mesures_s": [round(t, 2) for t in times],
                "planchers_s": [round(f, 2) for f in floors],
                "differences": differences(verdicts) if len(verdicts) > 1 else [],
            }
    print(floor.line())
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "charge_fin": load_average(),
                    "plancher_s": [round(t, 2) for t in floor.times],
                    "mesures": results,
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
