"""Where the student's program waits: every thread's stack, asked of the program by the grader's hook.

The launcher runs `stack_hook.py` in every student program (`confinement.add_hook`); `StackChannel`
opens the other ends of its two pipes (requests, answers) through /proc/<pid>/fd. When a check has
failed, `StackChannel.request` asks for a dump and `describe` turns it into one line per thread, in the
student's own file:

    serveur_exo.py, ligne 42 : nom = connexion.recv(1024)

`classic_causes` names the mistakes that such a line gives away (input() in the server, the name read in
the accept loop, a recv() after each input() in the client). This is diagnosis only: it is asked after the
verdict, and nothing of it reaches a grade.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from grader import confinement
from grader.confinement import launch

from .output import OutputStream
from .procfs import HOOK_FD, PROC
from .tracebacks import relative_path

HOOK = Path(__file__).resolve().with_name("stack_hook.py")
END_MARK = "--- fin du releve ---"
DUMP_TIMEOUT_S = 1.0  # the hook's thread answers at once, unless the program is gone or holds the GIL
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


class StackChannel:
    """The grader's side of the hook of one running program: its pipes, opened through /proc/<pid>/fd
    (Linux) at the first request."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.answers: OutputStream | None = None
        self._request = -1

    @staticmethod
    def register() -> None:
        """Every student program started from now on runs the hook (once per grading process)."""
        if str(HOOK) not in launch.hooks:
            confinement.add_hook(HOOK)

    def _open(self) -> bool:
        if self.answers is not None:
            return True
        fds = PROC / str(self.pid) / "fd"
        try:
            answers = os.open(fds / str(HOOK_FD + 2), os.O_RDONLY)
        except OSError:  # not Linux, the hook not set up, or the program gone
            return False
        try:
            self._request = os.open(fds / str(HOOK_FD + 1), os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            os.close(answers)
            return False
        pipe: BinaryIO = os.fdopen(answers, "rb", buffering=0)
        self.answers = OutputStream("releve", pipe)
        return True

    def request(self, timeout: float = DUMP_TIMEOUT_S) -> list[str] | None:
        """The dump's lines, or None when the program did not answer (gone, stuck holding the GIL, or not
        on Linux)."""
        if not self._open() or self.answers is None:
            return None
        mark = self.answers.mark()
        try:
            os.write(self._request, b"?")
        except OSError:
            return None
        if self.answers.wait_line(lambda line: line == END_MARK, timeout, since=mark) is None:
            return None
        lines = self.answers.lines(mark)
        return lines[: lines.index(END_MARK)]

    def close(self) -> None:
        """Our ends closed (the program's are gone with it); the answers' reader ends."""
        if self._request >= 0:
            try:
                os.close(self._request)
            except OSError:
                pass
            self._request = -1
        if self.answers is not None:
            self.answers.join(0.5)


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
    """One line per thread: "thread principal : serveur_exo.py, ligne 42 : nom = connexion.recv(1024)"."""
    described = []
    for index, wait in enumerate(waits):
        who = "thread principal" if wait.main else f"thread {index + (0 if waits[0].main else 1)}"
        frame = wait.where
        described.append(f"{who} : {frame.path}, ligne {frame.line} : {frame.source}")
    return described


def _function_calls(path: Path, line: int, name: str) -> bool:
    """The function (or module) holding `line` of the file calls `.name(` or `name(` somewhere."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return False
    holders = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or 0)
    ]
    holder: ast.AST = max(holders, key=lambda node: node.lineno) if holders else tree  # the innermost
    for node in ast.walk(holder):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called == name:
                return True
    return False


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
