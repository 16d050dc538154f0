"""`python -m grader.charge`: figures on the reference, exact loss on a server that drops lines, the ramp."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from grader.charge.latency import LatencyHistogram, bucket_middle, bucket_of, exact_percentile
from tests.grading import CORPUS, ROOT, SOLUTION
from tests.programs import STUDENT, STUDENT_PYTHON, cannot_become_student

DROPPER = CORPUS / "charge_pertes"  # drops relayed lines number 10, 20, 30... (one in ten, exactly)
LOAD_TIMEOUT_S = 60


def run_load(tmp_path: Path, *args: str) -> tuple[int, object, str]:
    """`python -m grader.charge *args --json FILE`: exit code, the JSON, what it printed."""
    out = tmp_path / "charge.json"
    done = subprocess.run(
        [sys.executable, "-m", "grader.charge", *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=LOAD_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return done.returncode, data, done.stdout + done.stderr


def test_reference_small_load_has_no_loss_and_consistent_figures(tmp_path: Path) -> None:
    code, data, output = run_load(tmp_path, str(SOLUTION), "--clients", "20", "--messages", "5")
    assert code == 0, output
    assert (data["clients"], data["messages"]) == (20, 5)
    assert data["envoyes"] == 20 * 5
    assert data["attendus"] == 20 * 5 * 19
    assert data["recus"] == data["attendus"] and data["pertes"] == 0
    assert data["erreurs"] == 0 and data["erreurs_detail"] == {} and data["deconnexions"] == 0
    assert data["doublons"] == 0
    latency = data["latence_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert data["debit_lignes_s"] > 0
    assert data["debit_lignes_s"] * data["duree_mesure_s"] == pytest.approx(data["recus"], rel=0.01)
    assert 0 <= data["connexion_ms"]["p50"] <= data["connexion_ms"]["max"]
    assert data["inscriptions_non_confirmees"] == 0
    if sys.platform.startswith("linux"):
        assert data["serveur"]["cpu_s"] > 0 and data["serveur"]["memoire_max_mo"] > 1
    assert "Test de charge" in output and "tient la charge" in output


# Run as the ordinary user: the task ceiling of the confinement (limits.PROCESSES) applies to it only.
CROWD = 300  # the reference's two threads per client: more than a grading's 512 tasks
CROWD_SCRIPT = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from grader.charge.generator import LoadConfig
from grader.charge.runner import measure, raise_fd_limit
raise_fd_limit({CROWD})
result = measure(__import__("pathlib").Path({str(SOLUTION)!r}), LoadConfig(clients={CROWD}, messages=1))
print(json.dumps([result.failure, result.errors, result.lost]))
"""
NO_ORDINARY_USER = cannot_become_student()


@pytest.mark.slow
@pytest.mark.skipif(NO_ORDINARY_USER is not None, reason=f"pas d'utilisateur ordinaire : {NO_ORDINARY_USER}")
def test_the_load_tool_gives_its_server_room_for_the_crowd() -> None:
    """An ordinary user's server gets a ceiling of tasks that fits the crowd sent to it (a grading keeps 512):
    the reference, two threads per client, holds 300 clients without an error."""
    import pwd  # POSIX only

    user = pwd.getpwnam(STUDENT)
    as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]
    done = subprocess.run(
        [*as_user, STUDENT_PYTHON, "-c", CROWD_SCRIPT],
        cwd="/",
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=LOAD_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [None, 0, 0]


def test_dropped_lines_are_counted_exactly(tmp_path: Path) -> None:
    code, data, output = run_load(tmp_path, str(DROPPER), "--clients", "20", "--messages", "5", "--attente", "0.3")
    assert code == 1, output
    assert data["attendus"] == 1900
    assert data["pertes"] == 190, output  # every tenth of the 1900 relayed lines
    assert data["recus"] == 1710
    assert data["erreurs"] == 0
    assert "190 (10 %)" in output


def test_ramp_stops_at_the_first_degraded_step_and_draws_it(tmp_path: Path) -> None:
    svg = tmp_path / "rampe.svg"
    code, data, output = run_load(
        tmp_path, str(DROPPER), "--ramp", "--messages", "2", "--attente", "0.2", "--svg", str(svg)
    )
    assert code == 0, output
    assert data["degradation_a_partir_de"] == 10
    assert [step["clients"] for step in data["paliers"]] == [10]
    assert data["paliers"][0]["pertes"] == 10 * 2 * 9 // 10
    assert "18 lignes perdues" in data["cause"]
    assert "Dégradation à partir de 10 clients" in output
    root = ElementTree.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    assert any(element.tag.endswith("circle") for element in root.iter())


def test_usage_errors_are_french_and_exit_2(tmp_path: Path) -> None:
    code, data, output = run_load(tmp_path, str(SOLUTION), "--svg", str(tmp_path / "x.svg"))
    assert (code, data) == (2, None)
    assert "--svg ne s'utilise qu'avec --ramp" in output
    code, _, output = run_load(tmp_path, str(SOLUTION), "--clients", "1")
    assert code == 2 and "hors des limites" in output


def test_latency_histogram_is_monotone_and_within_two_percent() -> None:
    samples = [1, 5, 127, 128, 129, 1000, 12_345, 250_000, 3_000_000]
    indices = [bucket_of(us) for us in samples]
    assert indices == sorted(indices)
    for us in samples:
        assert bucket_middle(bucket_of(us)) == pytest.approx(us, rel=0.02)
    histogram = LatencyHistogram()
    histogram.add_all(samples)
    assert [index for index, count in enumerate(histogram.counts) if count] == sorted(set(indices))
    histogram = LatencyHistogram()
    histogram.add_all(list(range(1, 10_001)))
    assert histogram.percentile_us(50) == pytest.approx(5000, rel=0.02)
    assert histogram.percentile_us(99) == pytest.approx(9900, rel=0.02)
    assert histogram.max_us == 10_000 and histogram.percentile_us(100) <= 10_000
    assert exact_percentile([3.0, 1.0, 2.0], 50) == 2.0
