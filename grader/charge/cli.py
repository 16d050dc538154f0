"""`python -m grader.charge PATH… [--clients N] [--messages M] [--debit R] [--json FILE] [--ramp [--svg FILE]]`.

Exit codes: 0 measured with no loss and no error (with --ramp: every step could be measured),
1 loss, errors, or a server that did not start, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.charge.generator import LoadConfig
from grader.charge.ramp import RAMP_STEPS, RampResult, run_ramp
from grader.charge.render import LiveProgress, print_ramp, print_results
from grader.charge.result import LoadResult
from grader.charge.runner import measure, raise_fd_limit
from grader.charge.svg import ramp_svg
from grader.commandline import ExitCode, FrenchParser, UsageError, bounded
from grader.interruption import let_children_be_interrupted
from grader.render import make_console

MAX_EXPECTED_LINES = 40_000_000  # clients x (clients - 1) x messages: memory and minutes stay reasonable
MAX_LOAD_CLIENTS = 2000


def build_parser() -> FrenchParser:
    parser = FrenchParser(
        prog="python -m grader.charge",
        description="Test de charge d'un serveur de chat : N clients, M messages chacun, "
        "pertes, débit, latence, ressources du serveur.",
    )
    parser.add_argument(
        "chemins",
        nargs="+",
        type=Path,
        metavar="CHEMIN",
        help="dossier d'une soumission (serveur_exo.py) ; plusieurs : comparées côte à côte",
    )
    parser.add_argument(
        "--clients",
        type=bounded(int, 2, MAX_LOAD_CLIENTS),
        default=100,
        metavar="N",
        help="clients connectés en même temps (défaut : 100)",
    )
    parser.add_argument(
        "--messages",
        type=bounded(int, 1, 10_000),
        default=20,
        metavar="M",
        help="messages envoyés par chaque client (défaut : 20)",
    )
    parser.add_argument(
        "--debit",
        type=bounded(float, 0.01, 1000),
        metavar="R",
        help="R messages par seconde par client, à cadence fixe (défaut : boucle fermée, "
        "chaque client envoie dès que son message précédent est arrivé partout)",
    )
    parser.add_argument(
        "--attente",
        type=bounded(float, 0.05, 60),
        default=1.0,
        metavar="S",
        help="boucle fermée : un message dont plus aucune ligne n'arrive depuis S secondes "
        "est abandonné et son auteur envoie le suivant (défaut : 1 s)",
    )
    parser.add_argument(
        "--duree-max",
        type=bounded(float, 1, 3600),
        default=120.0,
        metavar="S",
        help="au-delà, plus aucun envoi : on attend les dernières lignes et le test est "
        "marqué interrompu (défaut : 120 s)",
    )
    parser.add_argument(
        "--taille",
        type=bounded(int, 0, 65_536),
        default=0,
        metavar="OCTETS",
        help="complète chaque message jusqu'à cette taille (défaut : environ 35 octets)",
    )
    parser.add_argument(
        "--bloque", action="store_true", help="ajoute un client qui s'inscrit puis ne lit plus jamais rien"
    )
    parser.add_argument("--json", type=Path, metavar="FICHIER", help="résultats au format JSON")
    parser.add_argument(
        "--ramp",
        action="store_true",
        help=f"monte en charge : {', '.join(map(str, RAMP_STEPS))} clients, jusqu'au premier palier dégradé",
    )
    parser.add_argument("--svg", type=Path, metavar="FICHIER", help="avec --ramp : graphique SVG")
    return parser


def _config(args: argparse.Namespace) -> LoadConfig:
    if args.svg and not args.ramp:
        raise UsageError("--svg ne s'utilise qu'avec --ramp.")
    for path in args.chemins:
        if not path.is_dir():
            raise UsageError(f"{path} n'est pas un dossier (il faut le dossier qui contient serveur_exo.py).")
    largest = max(RAMP_STEPS) if args.ramp else args.clients
    expected = largest * (largest - 1) * args.messages
    if expected > MAX_EXPECTED_LINES:
        raise UsageError(
            f"{expected:,} lignes attendues, c'est trop (au plus {MAX_EXPECTED_LINES:,}) : "
            "réduisez --clients ou --messages.".replace(",", " ")
        )
    return LoadConfig(
        clients=args.clients,
        messages=args.messages,
        rate=args.debit,
        wait_s=args.attente,
        max_s=args.duree_max,
        size=args.taille,
        blocked_reader=args.bloque,
    )


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _label(path: Path, clients: int, messages: int) -> str:
    return f"{path} : {clients} clients × {messages} message{'s' if messages > 1 else ''}"


def _run_loads(paths: list[Path], config: LoadConfig, live: LiveProgress) -> list[LoadResult]:
    results = []
    for path in paths:
        live.start_run(_label(path, config.clients, config.messages))
        results.append(measure(path, config, live))
    return results


def _run_ramps(paths: list[Path], config: LoadConfig, live: LiveProgress) -> list[RampResult]:
    def ramp(path: Path) -> RampResult:
        return run_ramp(
            path,
            config,
            on_progress=live,
            on_step=lambda clients: live.start_run(_label(path, clients, config.messages)),
        )

    return [ramp(path) for path in paths]


def main(argv: list[str] | None = None) -> int:
    let_children_be_interrupted()
    console = make_console()
    try:
        args = build_parser().parse_args(argv)
        config = _config(args)
    except UsageError as error:
        console.print(f"Erreur : {error}", style="red", markup=False)
        return ExitCode.USAGE
    raise_fd_limit(max(RAMP_STEPS) if args.ramp else config.clients)
    with LiveProgress(console) as live:
        if args.ramp:
            ramps = _run_ramps(args.chemins, config, live)
        else:
            results = _run_loads(args.chemins, config, live)
    if args.ramp:
        for ramp in ramps:
            print_ramp(console, ramp)
        data = [ramp.to_dict() for ramp in ramps]
        if args.svg:
            args.svg.write_text(ramp_svg(ramps), encoding="utf-8")
        failed = any(step.run is None for ramp in ramps for step in ramp.steps)
    else:
        print_results(console, results)
        data = [result.to_dict() for result in results]
        failed = any(result.run is None or result.lost or result.errors for result in results)
    if args.json:
        _write_json(args.json, data[0] if len(args.chemins) == 1 else data)
    return ExitCode.FAILED if failed else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
