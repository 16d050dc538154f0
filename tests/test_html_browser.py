"""The class report in a real browser (headless Chromium): its script runs, sorts, filters and unfolds a
student's details, for a class of 200. Skipped with the reason when Chromium is not installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest

from grader.exports import html_report
from grader.model import Status, Student
from tests.test_exports import ALL_PASS, make_report

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PROBE = """<script>
var th = document.querySelectorAll("#classe th")[1]; th.click(); th.click();
var first = document.getElementById("classe").tBodies[0].rows[0].cells[1].textContent;
var select = document.getElementById("filtre-echec"); select.value = "S03"; select.dispatchEvent(new Event("change"));
document.body.setAttribute("data-sonde", first + "|" + document.getElementById("compte").textContent);
</script></body>"""


def class_of_200():
    reports = []
    for index in range(200):
        failed = {"S03": Status.FAILED} if index % 4 == 0 else {}
        report = make_report({**ALL_PASS, **failed}, student=Student(str(10000 + index), f"Élève {index:03d}"))
        reports.append(report)
    return reports


def dump(html: str, fragment: str = "") -> str:
    with tempfile.TemporaryDirectory() as scratch:
        page = f"{scratch}/rapport.html"
        with open(page, "w", encoding="utf-8") as stream:
            stream.write(html)
        done = subprocess.run(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={scratch}/profil",
                "--virtual-time-budget=3000",
                "--dump-dom",
                f"file://{page}{fragment}",
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
    return done.stdout


@pytest.mark.skipif(BROWSER is None, reason="Chromium absent (Debian : apt-get install chromium)")
def test_the_report_sorts_filters_and_unfolds_in_a_browser():
    html = html_report.render(class_of_200())
    assert 'data-sonde="20|50 / 200 soumission(s)"' in dump(html.replace("</body>", PROBE))
    opened = dump(html, "#etudiant-7")
    assert '<details class="student" id="etudiant-7" open=""' in opened
    assert '<details class="student" id="etudiant-8" open' not in opened
