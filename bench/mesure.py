"""Ce que chaque mesure de `bench/` affiche à côté de ses chiffres : la machine, sa charge, et le plancher.

Le plancher est le temps de 25 lancements de `python -c pass` mesuré dans la même exécution : un chiffre
qui dépend de la machine se donne aussi en multiple de ce plancher, qu'une autre machine reproduit.
Bibliothèque standard seulement.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SPAWNS = 25


def french(value: float, decimals: int = 1) -> str:
    """1234.5 -> « 1 234,5 » (virgule décimale, espace fine entre les milliers)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def load_average() -> str:
    """La charge moyenne (1, 5, 15 min) de /proc/loadavg, ou os.getloadavg() ; « inconnue » sinon."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        pass
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "inconnue"


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "processeur": model,
        "coeurs": str(os.cpu_count()),
        "systeme": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def machine_line() -> str:
    info = machine()
    return (
        f"Machine : {info['processeur']}, {info['coeurs']} cœurs, {info['systeme']}, Python {info['python']} ; "
        f"charge moyenne {load_average()}"
    )


class Floor:
    """Le plancher, mesuré plusieurs fois pendant l'exécution (avant chaque mesure) : sa médiane sert aux rapports."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def measure(self) -> float:
        began = time.monotonic()
        for _ in range(FLOOR_SPAWNS):
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        self.times.append(time.monotonic() - began)
        return self.times[-1]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def line(self) -> str:
        return (
            f"Plancher ({FLOOR_SPAWNS} × python -c pass, même exécution) : médiane {french(self.median, 2)} s "
            f"[{' '.join(french(t, 2) for t in sorted(self.times))}]"
        )
