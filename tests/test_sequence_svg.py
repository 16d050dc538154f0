"""The sequence diagram of a failed check in the HTML report: lifelines, arrows, the missing line in red."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.catalogue import load_catalogue
from grader.exports.sequence_svg import CONSOLE, diagram
from grader.model import Arrow, CheckResult, Status
from tests.grading import STARTERS, run_grader

SVG = "{http://www.w3.org/2000/svg}"


def failed(check_id: str, arrows: list[Arrow]) -> CheckResult:
    spec = load_catalogue()[check_id]
    return CheckResult(spec, Status.FAILED, 0, spec.points, failure="échec", arrows=tuple(arrows))


def test_lifelines_arrows_and_the_missing_line_in_red() -> None:
    arrows = [
        Arrow("Alice", True, "Alice"),
        Arrow("Bob", True, "Bob"),
        Arrow("Alice", True, "<script>alert(1)</script>"),
        Arrow("Alice", False, "Bob : salut"),
        Arrow("Bob", False, "Alice : <script>", missing=True),
    ]
    svg = diagram(failed("S03", arrows))
    root = ET.fromstring(svg)  # well-formed, every text escaped
    heads = [text.text for text in root.iter(f"{SVG}text") if "bold" in text.get("style", "")]
    assert heads == ["Alice", "Bob", "Serveur (serveur_exo.py)"]
    lines = [line for line in root.iter(f"{SVG}line") if line.get("marker-end")]
    assert len(lines) == 5
    red = [line for line in lines if line.get("stroke") == "#c62828"]
    assert len(red) == 1 and red[0].get("stroke-dasharray")
    server_x, bob_x = "450", "270"
    assert (red[0].get("x1"), red[0].get("x2")) == (server_x, bob_x)  # from the server to Bob
    assert "<script>" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_a_console_line_has_its_lifeline_and_a_check_without_exchange_no_diagram() -> None:
    svg = diagram(
        failed(
            "S02",
            [Arrow("Alice", True, "Alice"), Arrow("", False, "Alice (127.0.0.1) a rejoint le chat.", missing=True)],
        )
    )
    assert CONSOLE in svg
    assert diagram(failed("S01", [])) == ""


def test_the_html_report_draws_each_failed_check(tmp_path) -> None:
    out = tmp_path / "rapport.html"
    done = run_grader(str(STARTERS), "--only", "S02,C02", "--html", str(out), "-q")
    assert done.returncode == 1, done.stderr
    html = out.read_text(encoding="utf-8")
    assert len(re.findall(r'<svg class="sequence"', html)) == 1  # S02; C02: the client never connected
    assert "✗ attendu : Alice (127.0.0.1) a rejoint le chat." in html
    assert "Sortie du serveur :" in html and 'src="http' not in html


def test_the_class_html_report_draws_them_too(tmp_path) -> None:
    student = tmp_path / "classe" / "alice"
    student.mkdir(parents=True)
    (student / "serveur_exo.py").write_bytes((STARTERS / "serveur_exo.py").read_bytes())
    out = tmp_path / "classe.html"
    done = run_grader(str(tmp_path / "classe"), "--only", "S02", "--html", str(out), "-q")
    assert out.exists(), done.stdout + done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count('<svg class="sequence"') == 1 and "✗ attendu : Alice (127.0.0.1) a rejoint le chat." in html
