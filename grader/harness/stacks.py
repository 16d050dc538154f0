"""Where the student's program waits: the dump of its threads (stack_channel.py asks for it), told in the
student's own file.

When a check has failed, the program's `StackChannel` asks its hook for a dump; `parse_dump` and
`describe` turn it into one line per thread:

    serveur_exo.py, ligne 42 : nom = connexion.recv(1024)

`classic_causes` names the mistakes that such a line gives away (input() in the server, the name read in
the accept loop, a recv() after each input() in the client). This is diagnosis only: it is asked after the
verdict, and nothing of it reaches a grade.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from . import student_source
from .tracebacks import relative_path

_THREAD_HEADER = re.compile(r"^(Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):$")
_FRAME = re.compile(r'^\s+File "(?P<path>.*)", line (?P<line>\d+) in (?P<function>.+)$')
_RECEIVING = re.compile(r"\.(recv|recv_into|recvfrom|readline|read)\(|\binput\(")


@dataclass(frozen=True)
class Frame:
    path: str  # relative to the submission
    line: int
    function: str
    source: str  # the line of the student's file, stripped


@dataclass(frozen=True)
class ThreadWait:
    """One thread of the program: its frames in the student's files, innermost first."""

    main: bool
    frames: tuple[Frame, ...]

    @property
    def where(self) -> Frame:
        return self.frames[0]


def parse_dump(lines: list[str], workdir: Path) -> list[ThreadWait]:
    """faulthandler's dump → the threads that are in the student's files, main thread first. A thread
    whose stack never enters them (the hook's own) is left out."""
    threads: list[list[tuple[str, int, str]]] = []
    for line in lines:
        if _THREAD_HEADER.match(line):
            threads.append([])
        else:
            frame = _FRAME.match(line)
            if frame and threads:
                threads[-1].append((frame["path"], int(frame["line"]), frame["function"]))
    waits = []
    for frames in threads:
        mine = [
            Frame(shown, line, function, source_line(workdir / shown, line))
            for path, line, function in frames
            if (shown := relative_path(path, workdir)) is not None
        ]
        if mine:
            main = frames[-1][2] == "<module>" or mine[-1].function == "<module>"
            waits.append(ThreadWait(main, tuple(mine)))
    return sorted(waits, key=lambda wait: not wait.main)


def source_line(path: Path, number: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def describe(waits: list[ThreadWait]) -> list[str]:
    """One line per place where threads wait, main thread first: "thread principal : serveur_exo.py,
    ligne 42 : nom = connexion.recv(1024)"; the other threads are numbered, and those waiting at the same
    line share one ("threads 1 à 30 : serveur_exo.py, ligne 31 : for ligne in fichier:")."""
    places: dict[tuple[bool, Frame], list[int]] = {}
    for index, wait in enumerate(waits):
        number = index + (0 if waits[0].main else 1)
        places.setdefault((wait.main, wait.where), []).append(number)
    described = []
    for (main, frame), numbers in places.items():
        who = "thread principal" if main else _threads(numbers)
        described.append(f"{who} : {frame.path}, ligne {frame.line} : {frame.source}")
    return described


def _threads(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"thread {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"threads {numbers[0]} à {numbers[-1]}"
    return f"threads {', '.join(map(str, numbers[:-1]))} et {numbers[-1]}"


def _function_calls(path: Path, line: int, name: str) -> bool:
    """The function (or module) holding `line` of the file calls `.name(` or `name(` somewhere."""
    tree = student_source.parse(path)
    if tree is None:
        return False
    holders = [
        node
        for node in ast.walk(tree)
        if isinstance(node, student_source.FUNCTIONS) and node.lineno <= line <= (node.end_lineno or 0)
    ]
    holder: ast.AST = max(holders, key=lambda node: node.lineno) if holders else tree  # the innermost
    return name in student_source.names_called(holder, nested=True)


def classic_causes(waits: list[ThreadWait], workdir: Path, *, server: bool) -> list[str]:
    """The classic mistakes these waits give away, in French, each once."""
    causes: list[str] = []
    for wait in waits:
        frame = wait.where
        receiving = bool(_RECEIVING.search(frame.source)) and "input(" not in frame.source
        if server and "input(" in frame.source and wait.main:
            causes.append(
                f"Le serveur attend une saisie au clavier (input(), ligne {frame.line}) : personne ne tape dans "
                "la console d'un serveur : il reste bloqué là et n'accepte plus personne. Retirez cet input()."
            )
        elif server and receiving and wait.main and _function_calls(workdir / frame.path, frame.line, "accept"):
            causes.append(
                f"Le nom (ou un message) est lu dans la boucle d'accept() (ligne {frame.line}) : tant que ce "
                "client n'a rien envoyé, le serveur n'accepte personne d'autre. Lisez-le dans le thread du client."
            )
        elif server and receiving and wait.main:
            causes.append(
                f"Le thread principal du serveur attend un client (ligne {frame.line}) : pendant ce temps, il "
                "n'accepte personne d'autre. Servez chaque client dans son propre thread, lancé après accept()."
            )
        elif not server and receiving and _function_calls(workdir / frame.path, frame.line, "input"):
            causes.append(
                f"Le client attend le serveur avec recv() juste après input() (ligne {frame.line}) : tant que "
                "rien n'arrive, il ne lit plus le clavier, et les messages des autres n'arrivent qu'après une "
                "saisie. Recevez dans un thread à part, qui ne fait que recv() et print()."
            )
    return list(dict.fromkeys(causes))
