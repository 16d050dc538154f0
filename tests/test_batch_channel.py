"""Batch mode: a grade comes only from what the grading process itself sends, checked against what was asked.

The grading command is replaced by small scripts that play a compromised grading process: one whose
student program forges a report and kills it, one that answers nonsense, one stopped by SIGSTOP. Each
of them costs that one submission ("n'a pas pu être corrigée", with the reason) and nothing else.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import sys
import time

import pytest

from grader.batch import worker as worker_module
from grader.batch.discovery import BatchItem
from grader.batch.runner import expected_of, grade_all, run_batch
from grader.batch.validation import MAX_LINES, InvalidReport, fitted, validated_report
from grader.batch.worker import GradingOptions
from grader.catalogue import load_catalogue
from grader.harness import procfs
from grader.model import Arrow, Evidence, Student, SubmissionReport
from tests.batch_scripts import ONLY_S01_S03, SEND, batch_options, honest, sent

# A student program started by the grading process: it tries every descriptor of its parent through
# /proc, writes a perfect report in each one it can open, then kills its parent (as issue 12 did).
FORGE = r"""
import os, signal, subprocess, sys
child = '''
import json, os, signal, sys
parent = os.getppid()
opened = []
for fd in os.listdir(f"/proc/{parent}/fd"):
    try:
        with open(f"/proc/{parent}/fd/{fd}", "w") as stream:
            stream.write(sys.argv[1])
        opened.append(fd)
    except OSError:
        pass
open(sys.argv[2], "w").write(json.dumps(opened))
os.kill(parent, signal.SIGKILL)
'''
subprocess.run([sys.executable, "-c", child, sys.argv[1], sys.argv[2]])
"""
STOP = "import os, signal; os.kill(os.getpid(), signal.SIGSTOP)"


@pytest.fixture
def worker_script(monkeypatch, tmp_path):
    """Items whose grading process runs `script` with `argv` instead of the grader."""
    scripts: dict[str, list[str]] = {}

    def command(item: BatchItem, options: GradingOptions) -> list[str]:
        return [sys.executable, "-c", *scripts[item.path.name]]

    monkeypatch.setattr(worker_module, "worker_command", command)

    def item(name: str, script: str, *argv: str) -> BatchItem:
        scripts[name] = [script, *argv]
        return BatchItem(source=f"classe/{name}", student=Student(name, f"Élève {name}"), path=tmp_path / name)

    return item


def grade_items(items: list[BatchItem], timeout: float = 30.0):
    return grade_all(items, batch_options(grading=ONLY_S01_S03), timeout=timeout)


def test_an_honest_answer_is_taken_with_the_runner_s_own_titles(worker_script):
    (report,) = grade_items([worker_script("alice", *sent(honest(("reussie", "echouee"))))])
    assert report.fatal_error == "" and report.note == round(20 / 3, 2)
    assert report.submission == "classe/alice" and report.student.name == "Élève alice"
    catalogue = load_catalogue()
    assert [r.spec.title for r in report.results] == [catalogue["S01"].title, catalogue["S03"].title]


def _with(change) -> dict:
    data = copy.deepcopy(honest())
    change(data)
    return data


MALFORMED = {
    "points en texte": _with(lambda d: d["verifications"][0].update(points="beaucoup")),
    "note au-dessus du maximum": _with(lambda d: d["verifications"][1].update(points=40, points_max=40)),
    "points d'une vérification échouée": _with(lambda d: d["verifications"][1].update(statut="echouee")),
    "vérification inconnue": _with(lambda d: d["verifications"][1].update(id="S99")),
    "vérification en double": _with(lambda d: d["verifications"].__setitem__(1, d["verifications"][0])),
    "vérification manquante": _with(lambda d: d["verifications"].pop()),
    "vérification non demandée": _with(lambda d: d["verifications"].append(dict(d["verifications"][0], id="S02"))),
    "statut inconnu": _with(lambda d: d["verifications"][0].update(statut="parfait")),
    "booléen pour un nombre": _with(lambda d: d["verifications"][0].update(points=True)),
    "NaN": _with(lambda d: d["verifications"][0].update(duree_s=math.nan)),
    "durée négative": _with(lambda d: d["verifications"][0].update(duree_s=-1)),
    "note annoncée fausse": _with(
        lambda d: d.update(note=20.0) or d["verifications"][1].update(statut="echouee", points=0)
    ),
    "clé inconnue": _with(lambda d: d.update(erreur="")),
    "preuve mal formée": _with(
        lambda d: d["verifications"][0].update(
            preuves=[{"type": "sortie", "titre": "Sortie du serveur", "lignes": "pas une liste"}]
        )
    ),
    "preuve d'un type inconnu": _with(
        lambda d: d["verifications"][0].update(preuves=[{"type": "script", "titre": "x", "lignes": []}])
    ),
    "flèche mal formée": _with(
        lambda d: d["verifications"][0].update(sequence=[{"avec": "Alice", "envoye": "oui", "texte": "Alice"}])
    ),
    "pas un objet": [1, 2],
}


def test_validation_keeps_the_parts_of_a_failure():
    parts = {
        "echec": "Le message d'Alice n'est pas arrivé à Bob.",
        "indice": "Relayez.",
        "preuves": [{"type": "echanges", "titre": "Bob — échanges", "lignes": ["→ Bob"]}],
        "sequence": [{"avec": "Bob", "envoye": True, "texte": "Bob", "manquant": False}],
    }
    report = validated_report(_with(lambda d: d["verifications"][0].update(parts)), expected_of(ONLY_S01_S03, 30.0))
    first = report.results[0]
    assert (first.failure, first.hint, first.evidence[0].lines, first.arrows[0].peer) == (
        parts["echec"],
        "Relayez.",
        ("→ Bob",),
        "Bob",
    )


def test_a_long_exchange_is_cut_to_fit_not_refused():
    """S11 failing with 30 clients: 42 sections, 27 000 lines and 9 000 arrows. The grading process sends it
    cut to the bounds, the latest lines kept, and its verdict counts."""
    expected = expected_of(ONLY_S01_S03, 30.0)
    honest_report = SubmissionReport.from_dict(honest(), expected.catalogue)
    lines = tuple(f"ligne {i}" for i in range(600))
    crowd = [Evidence("echanges", f"Membre{n:02d} — échanges", lines) for n in range(42)]
    arrows = tuple(Arrow(f"Membre{n % 30:02d}", n % 2 == 0, f"message {n}") for n in range(9000))
    honest_report.results[0].evidence, honest_report.results[0].arrows = tuple(crowd), arrows
    with pytest.raises(InvalidReport):
        validated_report(honest_report.to_dict(), expected)
    report = validated_report(fitted(honest_report).to_dict(), expected)
    first = report.results[0]
    assert first.arrows[-1] == arrows[-1] and len(first.arrows) == MAX_LINES // 4
    assert first.evidence[0].lines[0].startswith("… (") and first.evidence[0].lines[-1] == "ligne 599"
    assert report.note == honest_report.note


@pytest.mark.parametrize("case", MALFORMED)
def test_validation_refuses_what_was_not_asked(case):
    with pytest.raises(InvalidReport):
        validated_report(MALFORMED[case], expected_of(ONLY_S01_S03, 30.0))


def test_a_malformed_answer_costs_its_submission_only_and_the_class_is_exported(worker_script, tmp_path):
    items = [
        worker_script("bon", *sent(honest())),
        worker_script("beaucoup", *sent(MALFORMED["points en texte"])),
        worker_script("plus_de_20", *sent(MALFORMED["note au-dessus du maximum"])),
        worker_script("inconnue", *sent(MALFORMED["vérification inconnue"])),
        worker_script("pas_du_json", *sent("{20/20")),
        worker_script("bon2", *sent(honest())),
    ]
    csv_path = tmp_path / "notes.csv"
    assert run_batch(items, batch_options(grading=ONLY_S01_S03, csv=csv_path)) == 1
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [(row["Identifiant"], row["Note"]) for row in rows] == [
        ("bon", "20"),
        ("beaucoup", "0"),
        ("plus_de_20", "0"),
        ("inconnue", "0"),
        ("pas_du_json", "0"),
        ("bon2", "20"),
    ]
    reasons = (
        "S01 : points n'est pas un nombre",
        "S03 : points_max vaut 40",
        "vérification inattendue « 'S99' »",
        "Rapport de correction invalide",
    )
    for row, reason in zip(rows[1:5], reasons, strict=True):
        assert "n'a pas pu être corrigée" in row["Commentaire"] and reason in row["Commentaire"], row


def test_a_valid_answer_from_a_process_that_did_not_exit_normally_is_refused(worker_script):
    (report,) = grade_items([worker_script("code1", *sent(honest(), code=1))])
    assert report.note == 0 and "(code 1) sans rapport ; la soumission n'a pas pu être corrigée" in report.fatal_error


def test_an_answer_beyond_the_bound_is_refused(worker_script, monkeypatch):
    monkeypatch.setattr(worker_module, "MAX_REPORT_BYTES", 1000)
    (report,) = grade_items(
        [worker_script("long", *sent(_with(lambda d: d["verifications"][0].update(message="x" * 5000))))]
    )
    assert report.note == 0 and "trop long" in report.fatal_error


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="SIGSTOP n'existe que sous POSIX")
def test_a_stopped_grading_process_costs_its_deadline_only(worker_script):
    started = time.monotonic()
    stopped, fine = grade_items([worker_script("stoppe", STOP), worker_script("bon", *sent(honest()))], timeout=3.0)
    assert stopped.fatal_error.startswith("Délai dépassé") and "n'a pas pu être corrigée" in stopped.fatal_error
    assert fine.note == 20
    assert time.monotonic() - started < 3.0 + 10.0


@pytest.mark.skipif(not procfs.available(), reason="/proc n'existe que sous Linux")
def test_a_student_program_cannot_write_the_report_nor_save_it_by_killing_the_grader(worker_script, tmp_path):
    opened = tmp_path / "ouverts.json"
    (report,) = grade_items([worker_script("faussaire", FORGE, json.dumps(honest()), str(opened))])
    assert report.note == 0 and "SIGKILL" in report.fatal_error and "n'a pas pu être corrigée" in report.fatal_error
    assert "1" not in json.loads(opened.read_text()), "le canal du rapport s'ouvre par /proc"


SEES_DESTINATION = "import os, sys; open(sys.argv[2], 'w').write(str(os.path.lexists(sys.argv[1]))); " + SEND.replace(
    "sys.argv[1]", "sys.argv[3]"
).replace("sys.argv[2]", "sys.argv[4]")


def test_exports_are_written_by_the_runner_alone_at_the_end(worker_script, tmp_path):
    """What the destinations held is gone while grading runs; a link there is replaced, never followed."""
    victim = tmp_path / "victime.txt"
    victim.write_text("à garder", encoding="utf-8")
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "notes.csv").symlink_to(victim)
    (exports / "classe.json").write_text('{"ancien": true}', encoding="utf-8")
    seen = tmp_path / "vu.txt"
    item = worker_script("bon", SEES_DESTINATION, str(exports / "classe.json"), str(seen), json.dumps(honest()), "0")
    options = batch_options(grading=ONLY_S01_S03, csv=exports / "notes.csv", json=exports / "classe.json")
    assert run_batch([item], options) == 0
    assert seen.read_text() == "False"
    assert victim.read_text(encoding="utf-8") == "à garder" and not (exports / "notes.csv").is_symlink()
    assert json.loads((exports / "classe.json").read_text(encoding="utf-8"))["soumissions"][0]["note"] == 20
    assert sorted(p.name for p in exports.iterdir()) == ["classe.json", "notes.csv"]
