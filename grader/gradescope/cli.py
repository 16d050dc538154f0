"""`python -m grader.gradescope construire SORTIE.zip [--bareme FICHIER.toml] [--classement]` builds the
autograder zip; `classement RESULTS.json CHARGE.json` (used by run_autograder) adds the leaderboard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.catalogue import load_catalogue
from grader.gradescope import build, leaderboard
from grader.scale import ScaleError, load_scale


class _FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"Erreur : arguments invalides ({message}). Voir : python -m grader.gradescope --aide", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(
        prog="python -m grader.gradescope", add_help=False, description="Autograder Gradescope du « serveur de chat »."
    )
    parser.add_argument("-h", "--aide", "--help", action="help", help="affiche cette aide")
    commands = parser.add_subparsers(dest="commande", required=True, metavar="COMMANDE")
    zip_command = commands.add_parser(
        "construire", add_help=False, help="écrit le zip de l'autograder (setup.sh, run_autograder, le kit)"
    )
    zip_command.add_argument("sortie", type=Path, metavar="SORTIE.zip")
    zip_command.add_argument(
        "--bareme", type=Path, metavar="FICHIER.toml", help="barème (points, bonus, visibilité de chaque vérification)"
    )
    zip_command.add_argument(
        "--classement", action="store_true", help="ajoute le classement (leaderboard) du test de charge grader.charge"
    )
    board = commands.add_parser("classement", add_help=False, help="(run_autograder) ajoute le classement")
    board.add_argument("resultats", type=Path)
    board.add_argument("charge", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.commande == "classement":
        leaderboard.add_to_results(args.resultats, args.charge)
        return 0
    if args.bareme is not None:
        try:
            load_scale(args.bareme, load_catalogue())  # a wrong file is told now, not on Gradescope
        except ScaleError as error:
            print(f"Erreur : {error}", file=sys.stderr)
            return 2
    names = build.build(args.sortie, scale=args.bareme, leaderboard=args.classement)
    print(
        f"Autograder écrit : {args.sortie} ({len(names)} fichiers). Sur Gradescope : « Configure Autograder » "
        "→ Zip file upload, puis réglez le devoir sur 20 points."
    )
    return 0
