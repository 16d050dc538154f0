"""La solution de référence sous la charge, à côté des serveurs asyncio et selectors du corpus.

    python bench/charge.py                 # toutes les scènes : plafond, salle, foule, bloque
    python bench/charge.py foule           # une seule scène

Chaque scène est une exécution de `python -m grader.charge` (la commande est affichée), avec la machine,
sa charge avant et après, et le plancher (25 × `python -c pass`) mesuré dans la même exécution. Le débit
dépend de la machine : il est aussi donné en part du plafond de l'outil (la scène « plafond », un serveur
trivial, mesurée en premier) ; le processeur du serveur par ligne livrée (µs) en dépend moins.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from mesure import ROOT, Floor, french, load_average, machine_line

CORPUS = "tests/soumissions"
SCENES = {
    "plafond": (
        ["bench/charge_serveur_rapide"],
        ["--clients", "100", "--messages", "20"],
        "le plafond de l'outil : un serveur selectors trivial qui groupe ses envois, 100 × 20",
    ),
    "salle": (
        ["solution", f"{CORPUS}/valide_asyncio", f"{CORPUS}/valide_selectors"],
        ["--clients", "100", "--messages", "20"],
        "100 clients × 20 messages, objectif : aucune perte, p99 < 250 ms",
    ),
    "foule": (["solution"], ["--clients", "500", "--messages", "5"], "500 clients × 5 messages, objectif : tout livré"),
    "bloque": (
        ["solution"],
        ["--clients", "50", "--messages", "40", "--taille", "8000", "--bloque"],
        "50 clients × 40 messages de 8 Ko et un client qui ne lit plus, objectif : aucune perte",
    ),
}


def describe(result: dict, ceiling: float | None) -> str:
    latency = result["latence_ms"]
    share = f" ({french(100 * result['debit_lignes_s'] / ceiling, 0)} % du plafond)" if ceiling else ""
    cpu = (result.get("serveur") or {}).get("cpu_s")
    per_line = (
        f", serveur {french(cpu)} s de CPU = {french(cpu / result['recus'] * 1e6)} µs par ligne"
        if cpu and result["recus"]
        else ""
    )
    return (
        f"{french(result['recus'], 0)} / {french(result['attendus'], 0)} lignes, "
        f"pertes {french(result['pertes'], 0)}, {french(result['debit_lignes_s'], 0)} lignes/s{share}, "
        f"p50 {french(latency['p50'], 0)} ms, "
        f"p99 {french(latency['p99'], 0)} ms{per_line}, erreurs {result['erreurs']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="La référence sous la charge, avec la machine et le plancher.")
    parser.add_argument("scenes", nargs="*", metavar="SCENE", help=f"parmi : {', '.join(SCENES)} (défaut : toutes)")
    args = parser.parse_args()
    unknown = sorted(set(args.scenes) - set(SCENES))
    if unknown:
        parser.error(f"scène inconnue : {', '.join(unknown)}")
    print(machine_line(), flush=True)
    floor = Floor()
    ceiling = None
    for name in args.scenes or SCENES:
        folders, options, title = SCENES[name]
        floor.measure()
        before = load_average()
        with tempfile.TemporaryDirectory(prefix="bench-charge-") as scratch:
            output = Path(scratch) / "charge.json"
            command = [sys.executable, "-m", "grader.charge", *folders, *options, "--json", str(output)]
            subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=False)
            results = json.loads(output.read_text(encoding="utf-8")) if output.exists() else []
        print(
            f"{title}\n  commande : python -m grader.charge {' '.join(folders + options)}\n"
            f"  charge {before} → {load_average()}"
        )
        for folder, result in zip(folders, results if isinstance(results, list) else [results], strict=False):
            print(f"  {folder} : {describe(result, ceiling)}", flush=True)
            if name == "plafond":
                ceiling = result["debit_lignes_s"]
    print(floor.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
