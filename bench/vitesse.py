"""Vitesse du correcteur : la médiane de 5 exécutions complètes de `python -m grader` (processus entier).

    python bench/vitesse.py                      # les quatre mesures, avec leur cible
    python bench/vitesse.py reference classe     # seulement celles-ci
    python bench/vitesse.py --runs 3 --json mesures.json

Mesures : la solution de référence (cible 3 s), les fichiers de départ (3 s), un serveur qui n'écoute
jamais (10 s), une classe de 30 en mode classe (60 s, construite dans un dossier temporaire à partir du
corpus de tests), et, sans cible, un serveur qui accepte les connexions sans jamais les lire.
Bibliothèque standard seulement ; le correcteur est lancé comme un enseignant le lance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "soumissions"
SOLUTION = ROOT / "solution"
STARTERS = ROOT / "exercice"
SERVER, CLIENT = "serveur_exo.py", "client_exo.py"
CLASS_SIZE = 30


@dataclass(frozen=True)
class Measure:
    name: str
    title: str
    target_s: float | None
    arguments: Callable[[Path], list[str]]  # the grader's arguments, given a scratch folder


def class_of_30(scratch: Path) -> Path:
    """30 students, each handing in a server and a client of the corpus: every server of the corpus but
    the hostile ones (valid, classic bugs, bonus bugs), the reference twice, the starter, and a server
    that accepts without reading; the clients of the corpus, the reference's and the starter's in turn."""
    servers = sorted(p.parent for p in CORPUS.glob(f"*/{SERVER}") if not p.parent.name.startswith(("hostile_", "attaque_")))
    servers += [SOLUTION, SOLUTION, STARTERS, CORPUS / "hostile_accepte_sans_lire"]
    clients = sorted(p.parent for p in CORPUS.glob(f"*/{CLIENT}") if not p.parent.name.startswith(("hostile_", "attaque_")))
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
    Measure("reference", "solution de référence", 3.0, lambda _: [str(SOLUTION)]),
    Measure("starters", "fichiers de départ (exercice/)", 3.0, lambda _: [str(STARTERS)]),
    Measure("n_ecoute_jamais", "serveur qui n'écoute jamais", 10.0, lambda _: [str(CORPUS / "n_ecoute_jamais")]),
    Measure("classe", f"classe de {CLASS_SIZE} (mode classe)", 60.0, lambda scratch: [str(class_of_30(scratch))]),
    Measure("accepte_sans_lire", "serveur qui accepte sans jamais lire", None,
            lambda _: [str(CORPUS / "hostile_accepte_sans_lire")]),
]


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"coeurs": str(os.cpu_count()), "processeur": model, "python": platform.python_version(),
            "systeme": f"{platform.system()} {platform.release()}"}


def run_once(measure: Measure, extra: list[str]) -> float:
    """Seconds taken by one whole `python -m grader` process."""
    with tempfile.TemporaryDirectory(prefix="bench-vitesse-") as scratch:
        command = [sys.executable, "-m", "grader", *measure.arguments(Path(scratch)), "--silencieux",
                   "--json", str(Path(scratch) / "rapport.json"), *extra]
        began = time.monotonic()
        subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        return time.monotonic() - began


def french(seconds: float) -> str:
    return f"{seconds:.1f}".replace(".", ",")


def main() -> int:
    parser = argparse.ArgumentParser(description="Mesure la vitesse du correcteur (médiane de N exécutions).")
    names = [measure.name for measure in MEASURES]
    parser.add_argument("mesures", nargs="*", metavar="MESURE", help=f"parmi : {', '.join(names)} (défaut : toutes)")
    parser.add_argument("--runs", type=int, default=5, help="exécutions par mesure (défaut : 5)")
    parser.add_argument("--jobs", type=int, help="mode classe : corrections en parallèle (défaut du correcteur)")
    parser.add_argument("--json", type=Path, help="écrit les mesures dans ce fichier")
    args = parser.parse_args()
    unknown = sorted(set(args.mesures) - set(names))
    if unknown:
        parser.error(f"mesure inconnue : {', '.join(unknown)}")
    chosen = [m for m in MEASURES if not args.mesures or m.name in args.mesures]
    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    info = machine()
    print("Machine : " + ", ".join(f"{key} {value}" for key, value in info.items()))
    results = {}
    for measure in chosen:
        times = [run_once(measure, extra if measure.name == "classe" else []) for _ in range(args.runs)]
        median = statistics.median(times)
        verdict = "" if measure.target_s is None else (
            f"  (cible {french(measure.target_s)} s : {'atteinte' if median <= measure.target_s else 'MANQUÉE'})")
        print(f"{measure.title:40s} médiane {french(median):>6s} s   "
              f"[{' '.join(french(t) for t in sorted(times))}]{verdict}", flush=True)
        results[measure.name] = {"mediane_s": round(median, 2), "mesures_s": [round(t, 2) for t in times],
                                 "cible_s": measure.target_s}
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "mesures": results}, ensure_ascii=False, indent=2),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
