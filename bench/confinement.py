"""Coût du confinement : la solution de référence corrigée avec et sans confinement, côte à côte.

    python bench/confinement.py              # 5 corrections de chaque, alternées
    python bench/confinement.py --runs 9 --json confinement.json

Chaque correction est un `python -m grader solution/` complet ; « sans » pose GRADER_CONFINEMENT=non
(réservé aux mesures et aux tests : un élève ne peut pas toucher à l'environnement du correcteur). Les
deux sortes alternent, pour que la charge de la machine pèse autant sur l'une que sur l'autre. On donne
la médiane du temps écoulé et du temps processeur (correcteur et programmes de l'élève). Cible : le
confinement coûte au plus 10 % du temps écoulé.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mesure import ROOT, french, load_average, machine, machine_line

SOLUTION = ROOT / "solution"
TARGET = 0.10
MODES = {"avec": {}, "sans": {"GRADER_CONFINEMENT": "non"}}


def run_once(extra_env: dict[str, str]) -> tuple[float, float]:
    """(seconds elapsed, CPU seconds of the grader and everything it started) of one grading."""
    with tempfile.TemporaryDirectory(prefix="bench-confinement-") as scratch:
        command = [
            sys.executable,
            "-m",
            "grader",
            str(SOLUTION),
            "--silencieux",
            "--json",
            str(Path(scratch) / "rapport.json"),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.monotonic()
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **extra_env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        elapsed = time.monotonic() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads((Path(scratch) / "rapport.json").read_text(encoding="utf-8"))
    if report["note"] != report["note_max"]:
        raise SystemExit(f"La référence n'a pas eu {report['note_max']} : {report['note']}.")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description="Coût du confinement (médiane de N corrections de chaque).")
    parser.add_argument("--runs", type=int, default=5, help="corrections de chaque sorte (défaut : 5)")
    parser.add_argument("--json", type=Path, help="écrit les mesures dans ce fichier")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.runs):
        for mode, env in MODES.items():
            times[mode].append(run_once(env))
    medians = {
        mode: (statistics.median(t for t, _ in runs), statistics.median(c for _, c in runs))
        for mode, runs in times.items()
    }
    for mode, (elapsed, cpu) in medians.items():
        print(
            f"{mode:5s} confinement : {french(elapsed, 2)} s écoulées, {french(cpu, 2)} s de processeur "
            f"[{' '.join(french(t) for t, _ in sorted(times[mode]))}]"
        )
    cost = medians["avec"][0] / medians["sans"][0] - 1
    cpu_cost = medians["avec"][1] / medians["sans"][1] - 1
    verdict = "atteinte" if cost <= TARGET else "MANQUÉE"
    print(
        f"coût : {french(100 * cost, 1)} % du temps écoulé (cible {french(100 * TARGET, 0)} % : {verdict}), "
        f"{french(100 * cpu_cost, 1)} % du temps processeur"
    )
    if args.json:
        data = {
            "machine": machine(),
            "charge_fin": load_average(),
            "mesures": times,
            "cout": round(cost, 4),
            "cout_cpu": round(cpu_cost, 4),
        }
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if cost <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
