"""Check `--feuille-moodle` against Moodle's own importer code (no Moodle site needed).

    MOODLE_SRC=/chemin/vers/moodle python scripts/verifier_feuille_moodle.py

MOODLE_SRC is a Moodle source tree (a clone of the public moodle/moodle repository, or a folder holding
at least `lib/csvlib.class.php` and `mod/assign/feedback/offline/importgradeslib.php` at their paths).
The script grades a small class laid out as Moodle's "download all submissions" (the reference, a buggy
submission of the corpus; a third participant handed in nothing, so Moodle's download has no folder for
them), writes the worksheets such a Moodle would give (English and French, UTF-8 with or without BOM,
the comma of the download or the semicolon and Windows-1252 of a spreadsheet that saved it again, any
column order), fills them with the kit, and imports each one with Moodle's importer classes run by PHP (scripts/moodle/
importeur_hors_ligne.php). It checks that every grade and comment Moodle reads is the one the kit gave,
that participants without a submission are left alone, and that the kit's `--csv` is refused by Moodle
(it has no "Last modified (grade)" column). Needs `php` (Debian: apt-get install php-cli).
Exit code 0 when everything Moodle read is right.

Run for the kit's delivery with Moodle's files as the public repository holds them: importgradeslib.php at
commit 9762977c028cbd1884ed311a94c49efbae87591b (Moodle 4.x: the grade column is get_string('gradenoun'))
and csvlib.class.php at cf29c007d2535bb90d623d0fad76ee8075ced722; every variant imported right, and
notes.csv refused (invalidgradeimport).
"""

from __future__ import annotations

import csv
import html
import io
import json
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

from grader.exports import moodle_worksheet  # noqa: E402
from grader.exports.common import short_comment  # noqa: E402
from grader.model import SubmissionReport  # noqa: E402

DRIVER = ROOT / "scripts" / "moodle" / "importeur_hors_ligne.php"
MOODLE_FILES = ("lib/csvlib.class.php", "mod/assign/feedback/offline/importgradeslib.php")
NOTE_MAX = 20

# The columns of the worksheet Moodle 4.x gives for an assignment with file submissions, offline grading
# worksheet and feedback comments enabled (mod/assign/gradingtable.php, downloading), per language.
HEADERS = {
    "en": [
        "Identifier",
        "Full name",
        "Email address",
        "Status",
        "Grade",
        "Maximum grade",
        "Grade can be changed",
        "Last modified (submission)",
        "Last modified (grade)",
        "Feedback comments",
    ],
    "fr": [
        "Identifiant",
        "Nom complet",
        "Adresse de courriel",
        "Statut",
        "Note",
        "Note maximale",
        "La note peut être modifiée",
        "Dernière modification (travail remis)",
        "Dernière modification (note)",
        "Feedback par commentaires",
    ],
}
MAX_GRADE_CELL = {"en": "20.00", "fr": "20,00"}  # format_float(20, 2) in each language


@dataclass(frozen=True)
class Variant:
    """One way a teacher's worksheet can look."""

    name: str
    lang: str
    encoding: str  # Python codec
    moodle_encoding: str  # what the teacher picks in Moodle's upload form
    separator: str  # Moodle's name: comma, semicolon, tab
    bom: bool = False
    newline: str = "\n"
    rotate_columns: bool = False  # the identifier and name moved to the end


VARIANTS = (
    Variant("anglais, UTF-8, virgule", "en", "utf-8", "UTF-8", "comma"),
    Variant("français, UTF-8 avec BOM, virgule, CRLF", "fr", "utf-8", "UTF-8", "comma", bom=True, newline="\r\n"),
    Variant(
        "français réenregistré par un tableur : Windows-1252, point-virgule",
        "fr",
        "cp1252",
        "WINDOWS-1252",
        "semicolon",
        newline="\r\n",
    ),
    Variant("anglais, tabulations, colonnes dans un autre ordre", "en", "utf-8", "UTF-8", "tab", rotate_columns=True),
)
_DELIMITER = {"comma": ",", "semicolon": ";", "tab": "\t"}


def missing_requirements(moodle_src: str | None) -> str | None:
    """Why the check cannot run here (French), or None."""
    if shutil.which("php") is None:
        return "php est absent (Debian : apt-get install php-cli)"
    if not moodle_src:
        return "MOODLE_SRC n'est pas défini (chemin d'une copie des sources de Moodle)"
    absent = [name for name in MOODLE_FILES if not (Path(moodle_src) / name).is_file()]
    if absent:
        return f"fichiers de Moodle absents de MOODLE_SRC={moodle_src} : {', '.join(absent)}"
    return None


def worksheet(variant: Variant, participants: dict[str, str]) -> bytes:
    """The worksheet as the teacher downloaded it: no grade yet."""
    header = HEADERS[variant.lang]
    rows = [
        [
            f"Participant {number}",
            name,
            f"p{number}@example.org",
            "Submitted for grading",
            "",
            MAX_GRADE_CELL[variant.lang],
            "Yes",
            "Monday, 30 November 2026, 10:00 AM",
            "-",
            "",
        ]
        for number, name in participants.items()
    ]
    if variant.rotate_columns:  # not the feedback first: Moodle's importer ignores a feedback column at index 0
        header, rows = header[2:] + header[:2], [row[2:] + row[:2] for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=_DELIMITER[variant.separator], lineterminator=variant.newline)
    writer.writerows([header, *rows])
    return (b"\xef\xbb\xbf" if variant.bom else b"") + buffer.getvalue().encode(variant.encoding)


def moodle_import(moodle_src: str, path: Path, variant: Variant, participants: dict[str, str]) -> dict:
    """What Moodle's importer reads from the file at `path` (its JSON, see importeur_hors_ligne.php)."""
    with tempfile.TemporaryDirectory() as scratch:
        people = Path(scratch) / "participants.json"
        people.write_text(json.dumps(participants), encoding="utf-8")
        done = subprocess.run(
            [
                "php",
                str(DRIVER),
                moodle_src,
                str(path),
                variant.moodle_encoding,
                variant.separator,
                variant.lang,
                str(people),
                str(NOTE_MAX),
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
    if done.returncode != 0:
        raise RuntimeError(f"PHP a échoué ({done.returncode}) : {done.stderr.strip()}")
    return json.loads(done.stdout)


def problems(imported: dict, reports: dict[str, SubmissionReport], participants: dict[str, str]) -> list[str]:
    """Every difference between what Moodle read and what the kit graded (French); empty when right."""
    if not imported.get("importe"):
        return [f"Moodle refuse le fichier ({imported.get('erreur')})"]
    read = {str(row["participant"]): row for row in imported["lignes"]}
    found = []
    for number in participants:
        row, report = read.get(number), reports.get(number)
        if report is None:
            if row is not None and not row["ignoree"]:
                found.append(f"participant {number} sans soumission : Moodle lit la note {row['note']}")
            continue
        if row is None or row["ignoree"]:
            found.append(f"participant {number} : Moodle n'importe pas la note {report.note}")
        elif abs(row["note"] - report.note) > 0.005:
            found.append(f"participant {number} : Moodle lit {row['note']}, le correcteur a donné {report.note}")
        elif row["commentaire"] != html.escape(short_comment(report)):
            found.append(f"participant {number} : commentaire lu « {row['commentaire']} »")
    return found


def _moodle_class(folder: Path) -> dict[str, str]:
    """A class as Moodle downloads it; participant number -> full name of every enrolled participant (the
    last one handed in nothing: Moodle's download has no folder for them)."""
    sources = {
        "12001": ("Alice Martin", ROOT / "solution"),
        "12002": ("Zoé Élève", ROOT / "tests" / "soumissions" / "sans_prefixe"),
        "12003": ("Bob Absent", None),
    }
    for number, (name, source) in sources.items():
        if source is None:
            continue
        target = folder / f"{name}_{number}_assignsubmission_file_"
        target.mkdir(parents=True)
        for program in ("serveur_exo.py", "client_exo.py"):
            if (source / program).is_file():
                shutil.copy(source / program, target / program)
    return {number: name for number, (name, _) in sources.items()}


def main() -> int:
    moodle_src = required_source("MOODLE_SRC", missing_requirements)
    with tempfile.TemporaryDirectory(prefix="feuille-moodle-") as scratch:
        work = Path(scratch)
        participants = _moodle_class(work / "classe")
        first = VARIANTS[0]
        (work / "feuille.csv").write_bytes(worksheet(first, participants))
        graded = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader",
                str(work / "classe"),
                "-q",
                "--jobs",
                "2",
                "--json",
                str(work / "classe.json"),
                "--csv",
                str(work / "notes.csv"),
                "--feuille-moodle",
                str(work / "feuille.csv"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
        )
        print(graded.stderr.strip())
        data = json.loads((work / "classe.json").read_text(encoding="utf-8"))
        reports = {item["etudiant"]["identifiant"]: SubmissionReport.from_dict(item) for item in data["soumissions"]}
        print("Notes du correcteur : " + ", ".join(f"{n} → {r.note}" for n, r in reports.items()))
        failures = 0
        for variant in VARIANTS:
            path = work / f"feuille-{VARIANTS.index(variant)}.csv"
            if variant is first:
                path = moodle_worksheet.filled_path(work / "feuille.csv")  # filled by the command line itself
            else:
                path.write_bytes(worksheet(variant, participants))
                path.write_bytes(moodle_worksheet.fill(path, list(reports.values())).data)
            found = problems(moodle_import(moodle_src, path, variant, participants), reports, participants)
            failures += bool(found)
            print(f"{'OK ' if not found else 'ÉCHEC'} {variant.name}" + "".join(f"\n    {p}" for p in found))
        refused = moodle_import(
            moodle_src, work / "notes.csv", Variant("notes.csv", "fr", "utf-8", "UTF-8", "semicolon"), participants
        )
        print(
            f"{'OK ' if not refused['importe'] else 'ÉCHEC'} --csv (notes.csv) refusé par l'importeur de Moodle : "
            f"{refused.get('erreur', 'accepté')}"
        )
        failures += bool(refused["importe"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
