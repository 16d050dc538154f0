"""Small programs the kit's own tests run as a student's, and the helpers that write and start them."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.harness import procfs
from grader.harness.process import StudentProcess
from grader.harness.scope import CheckScope
from grader.harness.workspace import Workspace

STUDENT = "nobody"  # an ordinary user that root can become (Gradescope runs the students' programs as one)
STUDENT_PYTHON = "/usr/bin/python3"  # a Python that user can run


def cannot_become_student() -> str | None:
    """Why this session cannot run a program as STUDENT (French), or None when it can: it is root, with
    setpriv, the user and a Python that user can run."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "il faut être root (comme sur Gradescope) pour changer d'utilisateur"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) est absent"
    import pwd  # POSIX only

    try:
        pwd.getpwnam(STUDENT)
    except KeyError:
        return f"l'utilisateur {STUDENT} n'existe pas"
    if not os.access(STUDENT_PYTHON, os.X_OK):
        return f"{STUDENT_PYTHON} est absent"
    return None


def write_program(folder: Path, name: str, source: str) -> Path:
    """A tiny student program, dedented, in UTF-8."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def left_in_this_session() -> list[int]:
    """The processes still running under this test session (Linux; elsewhere nothing is listed). An
    orphan that ended a moment ago is a zombie of this session (a subreaper), not a survivor: reaped."""
    if not procfs.available():
        return []
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    return sorted(procfs.descendants(os.getpid()) - {os.getpid()})


def alive(pid: int) -> bool:
    """True while pid runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state not in ("Z", "X")


def start(folder: Path, source: str, **kwargs: object) -> StudentProcess:
    write_program(folder, "prog.py", source)
    return StudentProcess.start(folder, "prog.py", port=4321, label="serveur", **kwargs)


CHAT_SERVER = """
    import os, socket, sys, threading, traceback
    HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")
    PORT = int(os.environ.get("CHAT_PORT", 55555))
    clients = {}
    verrou = threading.Lock()

    def diffuser(texte, expediteur):
        with verrou:
            cibles = [c for c in clients if (c is expediteur) == OPTIONS["to_sender_only"]]
        for c in cibles:
            try:
                c.sendall((texte + OPTIONS["end"]).encode("utf-8"))
            except OSError:
                pass

    def servir(conn, adresse):
        fichier = conn.makefile("r", encoding="utf-8", newline="\\n")
        try:
            nom = fichier.readline().strip()
            if not nom:
                return
            with verrou:
                clients[conn] = nom
            if OPTIONS["log_joins"]:
                print(f"{nom} ({adresse[0]}) a rejoint le chat.", flush=True)
            for ligne in fichier:
                if ligne.startswith("/"):
                    continue
                texte = f"{nom} : {ligne.rstrip(chr(10))}"
                print(texte, flush=True)
                diffuser(texte, conn)
        except ConnectionResetError:
            if OPTIONS["crash_on_reset"]:
                traceback.print_exc()
                os._exit(1)
        except OSError:
            pass
        finally:
            with verrou:
                parti = clients.pop(conn, None)
            if parti:
                print(f"{parti} a quitté le chat.", flush=True)
            conn.close()

    def console():
        for commande in sys.stdin:
            print("commande :", commande.strip(), flush=True)

    threading.Thread(target=console, daemon=True).start()
    serveur = socket.socket()
    serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serveur.bind((HOTE, PORT))
    serveur.listen()
    print("Serveur en attente de connexions...", flush=True)
    while True:
        conn, adresse = serveur.accept()
        print("connexion acceptée", flush=True)
        threading.Thread(target=servir, args=(conn, adresse), daemon=True).start()
"""


def chat_server(**options: object) -> str:
    """A small threaded chat server; options change its behaviour to play one bug or another."""
    chosen = {"log_joins": True, "end": "\n", "crash_on_reset": False, "to_sender_only": False}
    chosen.update(options)
    return f"OPTIONS = {chosen!r}\n" + textwrap.dedent(CHAT_SERVER)


def make_workspace(folder: Path, **programs: str) -> Workspace:
    """A Workspace holding programs given as serveur_exo="...", client_exo="..."."""
    for stem, source in programs.items():
        write_program(folder, f"{stem}.py", source)
    return Workspace(folder)


class Starter:
    """Starts programs written into folders of tmp_path (`stem`.py), each with `start(workspace)`;
    everything is tracked by one CheckScope, and close() kills it all and removes the copies."""

    def __init__(self, tmp_path: Path, stem: str, start: Callable[[Workspace], object]) -> None:
        self.scope = CheckScope()
        self._tmp_path = tmp_path
        self._stem = stem
        self._start = start
        self._workspaces: list[Workspace] = []

    def __call__(self, source: str):
        folder = self._tmp_path / f"{self._stem}{len(self._workspaces)}"
        self._workspaces.append(make_workspace(folder, **{self._stem: source}))
        return self.scope.track(self._start(self._workspaces[-1]))

    def close(self) -> None:
        self.scope.close()
        for workspace in self._workspaces:
            workspace.cleanup()


def starter_fixture(stem: str, start: Callable[[Workspace], object]):
    """A pytest fixture giving a Starter of `stem` programs, closed at teardown."""

    @pytest.fixture
    def fixture(tmp_path: Path) -> Iterator[Starter]:
        starter = Starter(tmp_path, stem, start)
        yield starter
        starter.close()

    return fixture


def switch_proc(monkeypatch: pytest.MonkeyPatch, *, on: bool) -> None:
    """/proc reading on or off in this process (GRADER_SANS_PROC, read when the grader starts) and in the
    programs it starts, until the test ends."""
    if on:
        monkeypatch.delenv(procfs.SWITCH_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(procfs.SWITCH_VARIABLE, "1")
    monkeypatch.setattr(procfs, "READABLE", procfs.readable_here())
