"""`python -m grader PATH…`: grade one submission (or a whole class), print the French report, export.

Exit codes: 0 every check outside the bonus passed, 1 some failed, 2 usage error, 3 internal error, 130
interrupted (Ctrl-C, SIGTERM, SIGHUP: the students' programs killed, no grade, no export).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch.jobs import default_jobs
from grader.commandline import ExitCode, FrenchParser, UsageError, bounded
from grader.harness.lines import printable  # the harness without pytest
from grader.interruption import let_children_be_interrupted
from grader.similarity import KIT_STARTERS  # stdlib only

if TYPE_CHECKING:
    from grader.batch.runner import BatchOptions
    from grader.exports import ExportOptions
    from grader.model import SubmissionReport
    from grader.scale import Scale

# The grading modules (pytest, rich, the checks) are imported only once the arguments are read:
# `--aide` and a usage error answer at once.

MAX_JOBS = 256


def build_parser() -> FrenchParser:
    parser = FrenchParser(
        prog="python -m grader",
        description="Corrige un « serveur de chat » (serveur_exo.py, client_exo.py) et donne une note sur 20.",
    )
    parser.add_argument(
        "chemins",
        nargs="*",
        type=Path,
        metavar="CHEMIN",
        help="dossier d'une soumission, ou dossier/zip d'une classe (un rendu par sous-dossier)",
    )
    parser.add_argument("--liste", action="store_true", help="affiche le catalogue des vérifications")
    parser.add_argument("--only", metavar="IDS", help="seulement ces vérifications (et leurs prérequis), ex. S03,S05")
    parser.add_argument("-v", "--verbose", action="store_true", help="transcriptions complètes des échanges")
    parser.add_argument(
        "--rejouer",
        metavar="ID",
        help="écrit rejouer_ID.py, qui rejoue l'échange d'une "
        "vérification échouée du serveur (S.., B..) avec votre serveur lancé à la main",
    )
    parser.add_argument("-q", "--silencieux", action="store_true", help="n'affiche pas le rapport (exports seuls)")
    parser.add_argument("--bareme", type=Path, metavar="FICHIER.toml", help="barème : points par vérification, bonus")
    parser.add_argument("--json", type=Path, metavar="FICHIER", help="résultats au format JSON")
    parser.add_argument("--csv", type=Path, metavar="FICHIER", help="tableau des notes (Moodle, tableur)")
    parser.add_argument(
        "--csv-format",
        choices=("fr", "intl"),
        default="fr",
        help="fr : « ; » et virgule décimale (défaut) ; intl : « , » et point",
    )
    parser.add_argument(
        "--feuille-moodle",
        type=Path,
        metavar="FICHIER",
        help="remplit la feuille d'évaluation hors ligne téléchargée du devoir Moodle (notes et "
        "commentaires ; écrit FICHIER-rempli.csv à côté)",
    )
    parser.add_argument(
        "--absents-a-zero",
        action="store_true",
        help="avec --feuille-moodle : 0 et un commentaire aux participants sans soumission corrigée "
        "(défaut : laissés inchangés)",
    )
    parser.add_argument("--gradescope", type=Path, metavar="FICHIER", help="results.json de Gradescope")
    parser.add_argument(
        "--classroom",
        type=Path,
        metavar="FICHIER",
        help="JSON du rapporteur de GitHub Classroom (FICHIER et FICHIER-note.json)",
    )
    parser.add_argument("--junit", type=Path, metavar="FICHIER", help="JUnit XML, un cas par vérification")
    parser.add_argument("--vpl", action="store_true", help="lignes « Grade :=>> » et « Comment :=>> » de Moodle VPL")
    parser.add_argument("--html", type=Path, metavar="FICHIER", help="rapport de classe en un seul fichier HTML")
    parser.add_argument(
        "--similarite",
        nargs="?",
        const=KIT_STARTERS,
        type=Path,
        metavar="DOSSIER_DE_DEPART",
        help="mode classe : les paires de soumissions qui se ressemblent, fichiers de départ "
        "soustraits (défaut : exercice/ du kit)",
    )
    parser.add_argument(
        "--sans-isolation",
        action="store_true",
        help="corrige une classe même si cette machine ne peut pas confiner les programmes des "
        "étudiants (déconseillé : voir le guide de l'enseignant, section 14)",
    )
    parser.add_argument(
        "--jobs",
        type=bounded(int, 1, MAX_JOBS),
        default=default_jobs(),
        metavar="N",
        help="mode classe : soumissions corrigées en parallèle (défaut : nombre de cœurs là où /proc est "
        "lisible, Linux ; le triple ailleurs, où une correction attend surtout ses délais)",
    )
    return parser


def _selected_ids(text: str | None, catalogue: dict) -> set[str] | None:
    if not text:
        return None
    ids = {part.strip().upper() for part in text.split(",") if part.strip()}
    unknown = sorted(ids.difference(catalogue))
    if unknown:
        raise UsageError(f"vérification inconnue : {', '.join(unknown)} (voir python -m grader --liste)")
    return ids


def _load_scale(args: argparse.Namespace, catalogue: dict) -> Scale | None:
    from grader.scale import ScaleError, load_scale

    if args.bareme is None:
        return None
    try:
        return load_scale(args.bareme, catalogue)
    except ScaleError as error:
        raise UsageError(str(error)) from error


def _grade_one(path: Path, args: argparse.Namespace, only: set[str] | None, scale: Scale | None) -> SubmissionReport:
    from grader.engine import grade
    from grader.render import LiveReport, make_console, print_header, print_summary

    console = make_console()
    listener = None
    if not args.silencieux:
        print_header(console, str(path))
        listener = LiveReport(console, verbose=args.verbose)
    try:
        report = grade(path, only=only, scale=scale, verbose=args.verbose, listener=listener)
    except KeyboardInterrupt:
        if listener is not None:
            listener.stop()  # nothing is drawn after "Correction interrompue."
        raise
    if not args.silencieux:
        print_summary(console, report)
    return report


def _exit_code(report: SubmissionReport) -> int:
    if report.has_internal_error:
        return ExitCode.INTERNAL
    return ExitCode.OK if report.all_required_passed else ExitCode.FAILED


def run(args: argparse.Namespace) -> int:
    from grader.batch.discovery import find_submissions
    from grader.batch.kit import KitSeal
    from grader.batch.runner import run_batch
    from grader.catalogue import load_catalogue
    from grader.exports import partial_problem, remove_previous_exports, usage_problem, write_exports
    from grader.render import make_console, print_catalogue
    from grader.replay import REPLAYABLE, offer

    catalogue = load_catalogue()
    if args.liste:
        print_catalogue(make_console(), catalogue)
        return ExitCode.OK
    if not args.chemins:
        raise UsageError("indiquez le dossier à corriger, par exemple : python -m grader exercice/")
    only = _selected_ids(args.rejouer or args.only, catalogue)
    scale = _load_scale(args, catalogue)
    if only:
        problem = partial_problem(_export_options(args, scale))
        if problem:
            raise UsageError(problem)
    items = find_submissions(args.chemins)
    _insist_on_isolation(items is not None, _export_options(args, scale), args.sans_isolation)
    if items is not None:
        return run_batch(items, _batch_options(args, scale))
    problem = usage_problem(_export_options(args, scale), 1)
    if problem:
        raise UsageError(problem)
    if args.similarite is not None:
        raise UsageError(
            "--similarite compare les soumissions d'une classe : donnez le dossier (ou le zip) de "
            "la classe, pas une seule soumission."
        )
    remove_previous_exports(_export_options(args, scale))
    seal = KitSeal.take()
    report = _grade_one(args.chemins[0], args, only, scale)  # find_submissions: it holds a submission
    seal.check()  # a program that changed the grader gets no export
    write_exports([report], _export_options(args, scale), single=True)
    if args.rejouer:
        replayed = args.rejouer.strip().upper()
        if catalogue[replayed].category not in REPLAYABLE:
            raise UsageError(f"--rejouer : {replayed} n'est pas une vérification du serveur (S.. ou B..)")
        print(offer(report, replayed, Path.cwd()))
    return _exit_code(report)


def _insist_on_isolation(whole_class: bool, exports: ExportOptions, unconfined_accepted: bool) -> None:
    """A class unconfined: refused, unless --sans-isolation; a class or an export unconfined: a warning."""
    from grader.batch.isolation import isolation_refusal, unconfined_warning

    refusal = isolation_refusal(whole_class=whole_class)
    if refusal and not unconfined_accepted:
        raise UsageError(refusal)
    warning = unconfined_warning(whole_class=whole_class, exports=exports)
    if warning:
        print(warning, file=sys.stderr)


def _export_options(args: argparse.Namespace, scale: Scale | None) -> ExportOptions:
    from grader.exports import ExportOptions

    return ExportOptions(
        csv=args.csv,
        csv_format=args.csv_format,
        json=args.json,
        gradescope=args.gradescope,
        classroom=args.classroom,
        junit=args.junit,
        html=args.html,
        vpl=args.vpl,
        moodle_worksheet=args.feuille_moodle,
        absent_zero=args.absents_a_zero,
        visibility=scale.visibility if scale else {},
    )


def _batch_options(args: argparse.Namespace, scale: Scale | None) -> BatchOptions:
    from grader.batch.runner import BatchOptions
    from grader.batch.worker import GradingOptions

    return BatchOptions(
        grading=GradingOptions(only=args.only, scale=args.bareme, verbose=args.verbose),
        exports=_export_options(args, scale),
        jobs=args.jobs,
        quiet=args.silencieux,
        similarity=args.similarite is not None,
        starter=args.similarite,
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_as_on_ctrl_c() -> None:
    """SIGTERM (a cancelled CI job, `kill`) and SIGHUP (the terminal closed, POSIX) stop the grading as
    Ctrl-C does: the students' programs are killed on the way out instead of being left running."""
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a handler (the grader called from another program)
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _interrupt)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a student's emoji must never crash the report
    _stop_as_on_ctrl_c()
    let_children_be_interrupted()
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        print(f"Erreur : {printable(str(error))}", file=sys.stderr)  # an argument may hold escapes
        return ExitCode.USAGE
    from grader.catalogue import CatalogueError
    from grader.engine import GraderInternalError
    from grader.exports import ExportError
    from grader.harness.workspace import SubmissionError

    try:
        return run(args)
    except (UsageError, SubmissionError, ExportError) as error:
        print(f"Erreur : {printable(str(error))}", file=sys.stderr)  # a folder's name may hold escapes
        return ExitCode.USAGE
    except (GraderInternalError, CatalogueError) as error:
        print(f"Erreur interne du correcteur :\n{error}", file=sys.stderr)
        return ExitCode.INTERNAL
    except KeyboardInterrupt:
        from grader.harness.process import kill_surviving_processes

        # What the checks' own teardown did not reach: a program started by a check cut before it could
        # keep hold of it. Ended here, not left to the garbage collector or to this process's exit.
        kill_surviving_processes()
        print("Correction interrompue.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as error:  # the last barrier: never a grader traceback in front of a student
        print(
            f"Erreur interne du correcteur ({type(error).__name__} : {error}). Signalez-la à votre enseignant.",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL
