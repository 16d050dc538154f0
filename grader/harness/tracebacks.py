"""A Python traceback as a student reads it: their own lines, the exception, their file's short name.

Python writes `File "/tmp/grader-execution-…/serveur_exo.py", line 42, in gerer_client`; the student
sees `Fichier serveur_exo.py, ligne 42, dans gerer_client`. Frames of Python's own modules (threading,
socket, runpy...) are folded into one "…" line, except the innermost one (where the error was raised).
The exception line, last of the block, is always kept: it says what happened.
"""

from __future__ import annotations

import re
from pathlib import Path

FRAME = re.compile(r'^(?P<indent>\s*)File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>.+))?$')
_HEADERS = (
    ("Traceback (most recent call last):", "Trace d'erreur (l'appel le plus récent en dernier) :"),
    (
        "During handling of the above exception, another exception occurred:",
        "Pendant le traitement de cette exception, une autre s'est produite :",
    ),
    (
        "The above exception was the direct cause of the following exception:",
        "Cette exception a directement causé la suivante :",
    ),
)
_THREAD = re.compile(r"^Exception in thread (?P<name>.+?):?$")
FOLDED = "  …"


def relative_path(path: str, workdir: Path) -> str | None:
    """The path of a file of the submission, relative to its folder; None for any other file."""
    if not Path(path).is_absolute():  # "<string>", "<frozen runpy>": no file of the submission
        return None
    try:
        return Path(path).resolve().relative_to(workdir.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _frame_line(match: re.Match[str], shown_path: str) -> str:
    text = f"{match['indent']}Fichier {shown_path}, ligne {match['line']}"
    return text + (f", dans {match['function']}" if match["function"] else "")


def readable(block: list[str], workdir: Path, max_lines: int = 12) -> list[str]:
    """The block (one traceback) translated and shortened to about max_lines, the exception line kept."""
    frames: list[list[str]] = []  # each: the frame line and its source line(s)
    head: list[str] = []
    tail: list[str] = []
    for line in block:
        match = FRAME.match(line)
        if match:
            shown = relative_path(match["path"], workdir)
            frames.append([_frame_line(match, shown or Path(match["path"]).name), "mine" if shown else "python"])
        elif frames and line[:1] in (" ", "\t") and not tail:
            frames[-1].insert(-1, line)
        elif frames:
            tail.append(line)
        else:
            head.append(_translated(line))
    kept: list[str] = list(head)
    for index, frame in enumerate(frames):
        *lines, origin = frame
        if origin == "mine" or index == len(frames) - 1:
            kept.extend(lines)
        elif kept[-1:] != [FOLDED]:
            kept.append(FOLDED)
    exception = [_translated(line) for line in tail]
    room = max(1, max_lines - len(exception))
    if len(kept) > room:
        kept = [*head[:2], FOLDED, *kept[-(room - min(2, len(head)) - 1) :]] if room > 3 else kept[-room:]
    return kept + exception


def _translated(line: str) -> str:
    for english, french in _HEADERS:
        if line.strip() == english:
            return french
    thread = _THREAD.match(line)
    if thread:
        return f"Exception dans le thread {thread['name']} :"
    return line
