"""The Gradescope leaderboard, from the load test of `grader.charge` (its --json), added to results.json."""

from __future__ import annotations

import json
from pathlib import Path


def entries(load: dict) -> list[dict]:
    """Throughput (higher first), p99 latency and losses (lower first), as Gradescope's leaderboard wants."""
    return [
        {"name": "Débit (lignes/s)", "value": round(float(load.get("debit_lignes_s") or 0.0), 1)},
        {
            "name": "Latence p99 (ms)",
            "value": round(float((load.get("latence_ms") or {}).get("p99") or 0.0), 1),
            "order": "asc",
        },
        {"name": "Pertes (%)", "value": round(float(load.get("pertes_pct") or 0.0), 2), "order": "asc"},
    ]


def add_to_results(results: Path, load_json: Path) -> bool:
    """Add the leaderboard to results.json; False (results untouched) when the load test gave nothing."""
    try:
        load = json.loads(load_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(load, dict):
        return False
    data = json.loads(results.read_text(encoding="utf-8"))
    data["leaderboard"] = entries(load)
    results.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return True
