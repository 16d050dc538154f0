"""`--similarite`: which submissions of a class look copied from one another, the starter files set aside.

Every submission starts from the same starter files, so what they share must not count. Each
submission's programs (serveur_exo.py then client_exo.py, read as bytes: a file that is not UTF-8 is
decoded with replacement characters, never refused) become a stream of Python tokens in which every
name, string and number is replaced by its kind (renaming variables or rewording messages hides
nothing; comments and blank lines are dropped). Runs of K tokens are hashed and winnowed (Schleimer,
Wilkerson, Aiken 2003, the method of MOSS): the minimum hash of every window of W consecutive runs is
kept. The fingerprints of the starter files are removed from every submission. The similarity of two
submissions is the share of the smaller one's fingerprints found in the other (a copy of a part still
shows), over submissions with at least MIN_FINGERPRINTS of their own. All of it offline, standard library
only; measured on the kit's corpus in tests/test_similarity.py.
"""

from __future__ import annotations

import hashlib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

PROGRAMS = ("serveur_exo.py", "client_exo.py")
KIT_STARTERS = Path(__file__).resolve().parent.parent / "exercice"  # the kit's starter files (a source checkout)
K = 12  # tokens per run: long enough that two independent programs rarely share one by chance
W = 6  # runs per window: a copied passage of K + W - 1 tokens is always caught
MIN_FINGERPRINTS = 15  # a submission with less of its own (the starters barely touched) is not compared
FLAG_THRESHOLD = 0.5  # from this share on, a pair is shown to the teacher
MAX_FILE_BYTES = 1_000_000
_BLOCKS = {tokenize.INDENT: "{", tokenize.DEDENT: "}"}  # the shape of the blocks counts, not their width
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER}
_FALLBACK = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\S")


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    score: float  # 0..1: share of the smaller submission's own fingerprints found in the other


def read_programs(folder: Path) -> str:
    """The submission's programs as text, whatever their encoding."""
    texts = []
    for name in PROGRAMS:
        path = folder / name
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as stream:
                texts.append(stream.read(MAX_FILE_BYTES).decode("utf-8", errors="replace"))
    return "\n".join(texts)


def _kind(text: str) -> str:
    """A token as compared: keywords and operators as they are, any name "N", string "S", number "0"."""
    if text.isidentifier():
        return text if keyword.iskeyword(text) else "N"
    if text[:1] in "\"'" or text[:2].lower() in ('f"', "f'", 'b"', "b'", 'r"', "r'"):
        return "S"
    if text[:1].isdigit():
        return "0"
    return text


def tokens(text: str) -> list[str]:
    """The normalised tokens of Python source. Where Python's tokenizer gives up (a stray byte, an unclosed
    bracket), what it had read is kept and the rest is cut by a plain pattern."""
    stream = io.StringIO(text)
    found: list[str] = []
    try:
        for token in tokenize.generate_tokens(stream.readline):
            if token.type in _BLOCKS:
                found.append(_BLOCKS[token.type])
            elif token.type not in _SKIPPED and token.string.strip():  # a stray space is no token
                found.append(_kind(token.string))
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        found += [_kind(match) for match in _FALLBACK.findall(re.sub(r"#[^\n]*", "", stream.read()))]
    return found


def _hash(run: list[str]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(run).encode(), digest_size=8).digest(), "big")


def fingerprints(text: str) -> set[int]:
    """The winnowed hashes of the runs of K tokens."""
    stream = tokens(text)
    hashes = [_hash(stream[i : i + K]) for i in range(len(stream) - K + 1)]
    if len(hashes) <= W:
        return set(hashes)
    return {min(hashes[i : i + W]) for i in range(len(hashes) - W + 1)}


def similar_pairs(programs: dict[str, str], starter: str = "") -> list[Pair]:
    """Every pair of submissions, most similar first (label -> programs' text; the starters' text)."""
    common = fingerprints(starter) if starter else set()
    own = {label: fingerprints(text) - common for label, text in programs.items()}
    comparable = {label: prints for label, prints in own.items() if len(prints) >= MIN_FINGERPRINTS}
    pairs = [
        Pair(
            first,
            second,
            len(comparable[first] & comparable[second]) / min(len(comparable[first]), len(comparable[second])),
        )
        for first, second in combinations(comparable, 2)
    ]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.first, pair.second))


def flagged(pairs: list[Pair]) -> list[Pair]:
    return [pair for pair in pairs if pair.score >= FLAG_THRESHOLD]


def starter_text(folder: Path | None) -> str:
    """The starter files' text ("" when the folder does not hold them: nothing is then set aside)."""
    return read_programs(folder) if folder is not None and folder.is_dir() else ""


def class_pairs(folders: dict[str, Path], starter: Path | None) -> list[Pair]:
    """The pairs of a class (label -> submission folder), read before anything of theirs runs."""
    return similar_pairs({label: read_programs(folder) for label, folder in folders.items()}, starter_text(starter))


def describe(pairs: list[Pair], starter_found: bool, shown: int = 10) -> list[str]:
    """The short ranked list printed after a class (French)."""
    lines = [
        "Similarité entre soumissions"
        + (
            " (fichiers de départ soustraits) :"
            if starter_found
            else " (fichiers de départ introuvables : non soustraits) :"
        )
    ]
    suspects = flagged(pairs)
    if not suspects:
        lines.append(f"  aucune paire ne partage {round(FLAG_THRESHOLD * 100)} % ou plus de son code propre.")
    for pair in suspects[:shown]:
        lines.append(f"  {round(pair.score * 100):3d} %  {pair.first}  ↔  {pair.second}")
    if len(suspects) > shown:
        lines.append(f"  … et {len(suspects) - shown} autre(s) paire(s) (voir le rapport HTML).")
    return lines
