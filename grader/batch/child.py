"""The grading process of one batch submission: `python -m grader.batch.child PATH [options]`.

It grades the folder and hands its report, as JSON, to the batch runner through its standard output,
which the runner made a channel no student program can reach (see worker.py). The first thing it does
is to move that channel to a private descriptor and point its own standard output at the null device:
nothing the checks print, and nothing a student program could write to this process's stdout, can mix
with the report. Once the kit is loaded it waits for its turn, a line on its stdin that gives it its own
block of ports (`_my_turn`): the runner starts it while the previous submission is still being graded.
It sends the report only once grading is over, when the student's programs are gone, then exits with
code 0; a grading that cannot finish sends nothing (exit code 3, reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from grader.commandline import ExitCode

EXIT_SENT, EXIT_INTERNAL = ExitCode.OK, ExitCode.INTERNAL  # the report was sent / could not be made


def _private_channel() -> BinaryIO:
    """The report channel, moved off descriptor 1 (which now leads nowhere)."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "wb")  # os.dup: never inherited by the programs this process starts
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    return channel


def _my_turn() -> range | None:
    """Wait until the runner lets this process grade (it may start it while another one grades): a line
    on stdin with the block of ports this grading draws from, "start stop"; end of file, or anything else,
    is a "no". Then stdin leads nowhere, for the programs it starts."""
    go = sys.stdin.buffer.readline()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        start, stop = (int(number) for number in go.split())
    except ValueError:
        return None
    return range(start, stop) if stop > start else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader.batch.child", add_help=False)
    parser.add_argument("chemin", type=Path)
    parser.add_argument("--only", default="")
    parser.add_argument("--bareme", type=Path)
    parser.add_argument("--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    channel = _private_channel()
    args = _parser().parse_args(argv)
    # Imported once the channel is private: an import may print.
    from grader.batch.validation import fitted
    from grader.catalogue import load_catalogue
    from grader.engine import grade
    from grader.harness.ports import use_block
    from grader.harness.workspace import SubmissionError
    from grader.scale import load_scale

    catalogue = load_catalogue()
    scale = load_scale(args.bareme, catalogue) if args.bareme else None
    ports = _my_turn()
    if ports is None:
        return EXIT_INTERNAL
    use_block(ports)
    only = {part for part in args.only.split(",") if part} or None
    try:
        report = grade(args.chemin, only=only, scale=scale, verbose=args.verbose)
    except SubmissionError as error:  # French already: nothing to grade in that folder
        print(error, file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as error:  # the runner turns it into "could not be graded", with this reason
        print(f"Erreur interne du correcteur ({type(error).__name__} : {error})", file=sys.stderr)
        return EXIT_INTERNAL
    channel.write(json.dumps(fitted(report).to_dict(), ensure_ascii=False).encode("utf-8"))
    channel.close()
    return EXIT_SENT


if __name__ == "__main__":
    sys.exit(main())
