"""Check `--classroom` with GitHub Classroom's official reporter, run by Node on the kit's output.

    REPORTER_SRC=/chemin/vers/autograding-grading-reporter python scripts/verifier_classroom.py

REPORTER_SRC is a copy of the public repository `classroom-resources/autograding-grading-reporter`
(its `src/`; its dependencies are installed there with `npm ci --omit=dev` when missing). Needs Node 20
(the version its action.yml names). The script grades, as the documented workflow does, the reference
(20/20, every bonus), a submission that passes every check but tries no bonus, and a buggy one; runs
the reporter's `src/main.js` on each result as the workflow's step does (runners `chat,note`, results
in base64 in CHAT_RESULTS and NOTE_RESULTS); and checks what it printed: no "line …" after a check's
name, the French message of every failed check, the total of the log and the points recorded for
Classroom (its `::notice` "Points x/20") both equal to the kit's grade. Exit code 0 when all hold.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from prerequis import required_source  # noqa: E402

from grader.exports.classroom import note_path  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class ReporterRun:
    exit_code: int
    log: str  # what the action prints, colours removed


def missing_requirements(reporter_src: str | None) -> str | None:
    """Why the check cannot run here (French), or None."""
    if shutil.which("node") is None:
        return "node est absent (Node 20, celui de l'action)"
    if not reporter_src:
        return "REPORTER_SRC n'est pas défini (copie de classroom-resources/autograding-grading-reporter)"
    if not (Path(reporter_src) / "src" / "main.js").is_file():
        return f"REPORTER_SRC={reporter_src} ne contient pas src/main.js"
    if not (Path(reporter_src) / "node_modules").is_dir() and shutil.which("npm") is None:
        return "les dépendances du rapporteur ne sont pas installées et npm est absent"
    return None


def run_reporter(reporter_src: str, chat_json: Path) -> ReporterRun:
    """The reporter's main.js on the two runners the kit wrote, as the workflow's step runs it."""
    source = Path(reporter_src)
    if not (source / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"],
            cwd=source,
            check=True,
            capture_output=True,
            timeout=300,
        )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "INPUT_RUNNERS": "chat,note",
        "CHAT_RESULTS": base64.b64encode(chat_json.read_bytes()).decode(),
        "NOTE_RESULTS": base64.b64encode(note_path(chat_json).read_bytes()).decode(),
    }
    done = subprocess.run(
        ["node", "src/main.js"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    return ReporterRun(done.returncode, ANSI.sub("", done.stdout + done.stderr))


def js_number(value: float) -> str:
    """How JavaScript prints a number in a template string: 17.5, 20, 18.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def problems(run: ReporterRun, report: dict) -> list[str]:
    """Every way the reporter's output disagrees with the kit's report (French); empty when right."""
    found = []
    grade = report["note"]
    if re.search(r" - line ", run.log):
        found.append("un numéro de ligne est affiché après le nom d'une vérification")
    for check in report["verifications"]:  # the cause, in French, on the first line of each message
        cause = check["message"].strip().split("\n")[0]
        if check["statut"] != "reussie" and cause and cause not in run.log:
            found.append(f"le message de {check['id']} n'est pas dans le journal")
    if f"Total points for note: {grade:.2f}/20" not in run.log:
        found.append(f"le total du journal n'est pas {grade:.2f}/20")
    if f"::Points {js_number(grade)}/20" not in run.log:
        found.append(f"les points transmis à Classroom ne sont pas {js_number(grade)}/20")
    required_ok = all(c["statut"] == "reussie" for c in report["verifications"] if c["categorie"] != "bonus")
    if (run.exit_code == 0) != required_ok:
        found.append(f"l'action se termine avec le code {run.exit_code}")
    return found


def _submissions(folder: Path) -> dict[str, Path]:
    no_bonus = folder / "sans_bonus"
    no_bonus.mkdir()
    shutil.copy(ROOT / "tests" / "soumissions" / "valide_threads" / "serveur_exo.py", no_bonus)
    shutil.copy(ROOT / "solution" / "client_exo.py", no_bonus)
    return {
        "référence": ROOT / "solution",
        "tous les points, aucun bonus": no_bonus,
        "préfixe oublié": ROOT / "tests" / "soumissions" / "sans_prefixe",
    }


def main() -> int:
    reporter_src = required_source("REPORTER_SRC", missing_requirements)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="classroom-") as scratch:
        for label, submission in _submissions(Path(scratch)).items():
            chat, kit_json = Path(scratch) / f"{label}.json", Path(scratch) / f"{label}-kit.json"
            subprocess.run(
                [sys.executable, "-m", "grader", str(submission), "--classroom", str(chat), "--json", str(kit_json)],
                cwd=ROOT,
                capture_output=True,
                timeout=300,
                check=False,
            )
            report = json.loads(kit_json.read_text(encoding="utf-8"))
            run = run_reporter(reporter_src, chat)
            found = problems(run, report)
            failures += bool(found)
            print(
                f"{'OK ' if not found else 'ÉCHEC'} {label} : note {report['note']}, code {run.exit_code}"
                + "".join(f"\n    {p}" for p in found)
            )
            print("    " + "\n    ".join(run.log.strip().splitlines()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
