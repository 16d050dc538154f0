"""`--rejouer S07`: the exchange of a failed server check, written as `rejouer_S07.py`, a script the
student runs against their own server started by hand, step by step (replay_script.py is its template).

The steps are the check's arrows: each line a grader's client sent, each close it made, the lines it
received then (shown if they do not come again), and, last, the line that was expected and never came:
the replay's verdict.
"""

from __future__ import annotations

import pprint
from pathlib import Path

from grader.harness.connection import CLOSED_HERE, RESET_HERE
from grader.model import Arrow, Category, CheckResult, Status, SubmissionReport

TEMPLATE = Path(__file__).with_name("replay_script.py")
STEPS_LINE = "STEPS: list[tuple[str, str, str]] = "  # the template's line that receives the steps
REPLAYABLE = (Category.SERVER, Category.BONUS)


def steps(arrows: tuple[Arrow, ...]) -> list[tuple[str, str, str]]:
    """(client, action, text) for the script: "envoie", "ferme", "coupe", "recevait", "attendu"."""
    actions = {CLOSED_HERE: "ferme", RESET_HERE: "coupe"}
    result = []
    for arrow in arrows:
        if arrow.missing:
            result.append((arrow.peer, "attendu", arrow.text))
        elif arrow.sent:
            result.append((arrow.peer, actions.get(arrow.text, "envoie"), arrow.text))
        else:
            result.append((arrow.peer, "recevait", arrow.text))
    return result


def script(result: CheckResult) -> str:
    """The text of rejouer_<id>.py for this failed check."""
    text = TEMPLATE.read_text(encoding="utf-8").replace("XXX", result.spec.id)
    listed = pprint.pformat(steps(result.arrows), width=110)
    return text.replace(f"{STEPS_LINE}[]", f"{STEPS_LINE}{listed}", 1)


def write_replay(result: CheckResult, folder: Path) -> Path:
    path = folder / f"rejouer_{result.spec.id}.py"
    path.write_text(script(result), encoding="utf-8")
    return path


def offer(report: SubmissionReport, check_id: str, folder: Path) -> str:
    """After `--rejouer ID`: write the script if the check failed, and say what to do, in French."""
    result = next((item for item in report.results if item.spec.id == check_id), None)
    if result is None or result.status is not Status.FAILED:
        state = "n'a pas été faite" if result is None else "n'a pas échoué"
        return f"Rien à rejouer : {check_id} {state}."
    if not result.arrows:
        return f"Rien à rejouer : {check_id} a échoué sans qu'aucune ligne soit échangée avec votre serveur."
    path = write_replay(result, folder)
    return (
        f"Échange de {check_id} écrit dans {path}. Lancez votre serveur dans un autre terminal "
        f"(python serveur_exo.py), puis : python {path}"
    )
