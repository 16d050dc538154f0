"""Where the student's program waits: the grader's start-up hook, the dump, and what it tells, on both ways
to the hook: /proc (Linux) and the portable one (a loopback connection: macOS, Windows, and Linux with
GRADER_SANS_PROC, which these tests set)."""

from __future__ import annotations

import faulthandler
import socket
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.harness import procfs, stack_hook, stack_listener
from grader.harness.ports import free_port
from grader.harness.process import StudentProcess
from grader.harness.stack_channel import ProcChannel, SocketChannel
from grader.harness.stacks import Frame, ThreadWait, classic_causes, describe, parse_dump
from tests.grading import CORPUS, GradingResult, grade, grade_without_procfs
from tests.programs import switch_proc
from tests.test_corpus_client import ONLY_CLIENT

PROC, PORTABLE = "/proc", "portable"
CHANNELS = {PROC: ProcChannel, PORTABLE: SocketChannel}
GRADERS: dict[str, Callable[..., GradingResult]] = {PROC: grade, PORTABLE: grade_without_procfs}


@pytest.fixture(params=[PROC, PORTABLE])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The way to the hook: /proc where this machine reads it, or the portable one (GRADER_SANS_PROC)."""
    if request.param == PROC and not procfs.available():
        pytest.skip("pas de /proc lisible sur cette machine : seul le chemin portable s'y teste")
    if request.param == PORTABLE:
        switch_proc(monkeypatch, on=False)
    return request.param


PROGRAM = """\
import threading

def attendre():
    threading.Event().wait()

threading.Thread(target=attendre, daemon=True).start()
print("threads :", threading.active_count(), flush=True)
nom = input("Entrez votre nom : ")
print("bonjour", nom)
"""


def start(tmp_path: Path) -> StudentProcess:
    """The program started as every student program is: through the launcher, which runs the hook."""
    workdir = tmp_path / "copie"
    workdir.mkdir()
    (workdir / "prog.py").write_text(PROGRAM, encoding="utf-8")
    return StudentProcess.start(workdir, "prog.py", port=free_port(), label="client")


@pytest.mark.parametrize("run", range(3))
def test_the_hook_answers_where_each_thread_waits_and_stays_out_of_sight(tmp_path: Path, way: str, run: int) -> None:
    proc = start(tmp_path)
    try:
        assert isinstance(proc.stacks, CHANNELS[way])
        assert proc.stdout.wait_line(lambda line: line.startswith("threads"), 10) == "threads : 2"  # not the hook's
        assert proc.stdout.wait_text(lambda text: text.endswith("Entrez votre nom : "), 10)
        assert proc.where_it_waits() == [
            'thread principal : prog.py, ligne 8 : nom = input("Entrez votre nom : ")',
            "thread 1 : prog.py, ligne 4 : threading.Event().wait()",
        ]
        assert proc.where_it_waits()  # as often as asked, and the program goes on untouched
        assert proc.type_line("Alice")
        assert proc.wait_exit(10) == 0
        assert proc.stdout.wait_eof(5) and proc.stdout.lines()[-1] == "Entrez votre nom : bonjour Alice"
        assert proc.stderr.wait_eof(5) and proc.stderr.text() == ""  # nothing of the hook on the student's stderr
        assert proc.where_it_waits() == []  # ended: nothing to ask
    finally:
        proc.kill_tree()


DUMP = textwrap.dedent("""\
    Thread 0x00007f0000000002 (most recent call first):
      File "/usr/lib/python3.11/socket.py", line 294 in accept
      File "{w}/serveur_exo.py", line 30 in gerer_client
      File "/usr/lib/python3.11/threading.py", line 982 in run

    Current thread 0x00007f0000000001 (most recent call first):
      File "{w}/serveur_exo.py", line 12 in main
      File "{w}/serveur_exo.py", line 20 in <module>
      File "<string>", line 70 in <module>
    """)
SERVER = textwrap.dedent("""\
    import socket


    def main():
        serveur = socket.create_server(("127.0.0.1", 5000))
        while True:
            connexion, adresse = serveur.accept()
            nom = connexion.recv(1024)
            print(nom)
    """)


def test_the_name_read_in_the_accept_loop_is_named(tmp_path: Path) -> None:
    (tmp_path / "serveur_exo.py").write_text(SERVER, encoding="utf-8")
    dump = DUMP.format(w=tmp_path).replace("line 12 in main", "line 8 in main").splitlines()
    waits = parse_dump(dump, tmp_path)
    assert [wait.main for wait in waits] == [True, False]
    assert describe(waits)[0] == "thread principal : serveur_exo.py, ligne 8 : nom = connexion.recv(1024)"
    assert "boucle d'accept()" in classic_causes(waits, tmp_path, server=True)[0]
    assert classic_causes(waits, tmp_path, server=False) == []


def blocked_lines(result_message: str) -> list[str]:
    lines = result_message.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Où le "))
    return [line.strip() for line in lines[start + 1 :] if line.startswith("  ")]


# Corpus folder -> (the grading's arguments, as the corpus tests give them: one grading serves both; the
# failed check; where the main thread waits; the start of the cause named).
BLOCKED = {
    "input_dans_le_serveur": (
        ("--only", "S02,S03"),
        "S03",
        'thread principal : serveur_exo.py, ligne 45 : annonce = input("Annonce du serveur : ")',
        "Le serveur attend une saisie au clavier (input(), ligne 45)",
    ),
    "nom_dans_boucle_accept": (
        ("--only", "S03,S05,S11"),
        "S05",
        "thread principal : serveur_exo.py, ligne 54 : nom = fichier.readline().strip()",
        "Le nom (ou un message) est lu dans la boucle d'accept() (ligne 54)",
    ),
    "client_sans_thread_reception": (
        ONLY_CLIENT,
        "C03",
        "thread principal : client_exo.py, ligne 19 : donnees = client.recv(1024)",
        "Le client attend le serveur avec recv() juste après input() (ligne 19)",
    ),
}
SLOW_WITHOUT_PROC = {"nom_dans_boucle_accept", "client_sans_thread_reception"}  # every deadline in full: 10 s each


@pytest.mark.parametrize(
    ("folder", "graded_way"),
    [
        pytest.param(folder, way, marks=[pytest.mark.slow] if way == PORTABLE and folder in SLOW_WITHOUT_PROC else [])
        for folder in BLOCKED
        for way in (PROC, PORTABLE)
    ],
)
def test_the_report_shows_where_a_corpus_program_waits_and_why(folder: str, graded_way: str) -> None:
    args, check, where, cause = BLOCKED[folder]
    if graded_way == PROC and not procfs.available():
        pytest.skip("pas de /proc lisible sur cette machine : seul le chemin portable s'y teste")
    shown = blocked_lines(GRADERS[graded_way](CORPUS / folder, *args).message(check))
    assert where in shown
    assert any(line.startswith(cause) for line in shown), shown


def test_the_probes_of_proc_do_not_count_the_hooks_thread() -> None:
    from grader.harness import procfs, stack_hook

    assert stack_hook.HOOK_FD == procfs.HOOK_FD


WAITER = """\
import threading

def attendre(evenement):
    evenement.wait()
"""


def test_the_portable_dump_reads_as_faulthandlers(tmp_path: Path) -> None:
    """The same threads dumped both ways give the same waits (the hook's own thread is left out)."""
    (tmp_path / "attente.py").write_text(WAITER, encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(compile(WAITER, str(tmp_path / "attente.py"), "exec"), namespace)
    release = threading.Event()
    waiter = threading.Thread(target=namespace["attendre"], args=(release,), daemon=True)  # type: ignore[arg-type]
    waiter.start()
    try:
        with tempfile.TemporaryFile("w+") as dumped:
            faulthandler.dump_traceback(dumped, all_threads=True)
            dumped.seek(0)
            classic = parse_dump(dumped.read().splitlines(), tmp_path)
        portable_lines = stack_hook.portable_dump(sys._current_frames(), threading.get_ident()).decode().splitlines()
        portable = parse_dump(portable_lines, tmp_path)
    finally:
        release.set()
        waiter.join()
    assert describe(classic) == ["thread 1 : attente.py, ligne 4 : evenement.wait()"]
    assert portable == classic
    assert not any(str(Path(__file__).name) in line for line in portable_lines)  # the dumping thread left out


def connect(listener: stack_listener.StackListener, said: bytes) -> socket.socket:
    connection = socket.create_connection((stack_listener.HOST, listener.port), timeout=5)
    connection.sendall(said)
    return connection


def hung_up(connection: socket.socket) -> bool:
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:  # closed with bytes unread
        return True


def test_the_listener_hands_a_connection_to_its_own_token_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A program that knows the port (it is in its hook) reaches no other channel and cannot hold the listener."""
    monkeypatch.setattr(stack_listener, "HANDSHAKE_S", 0.5)
    listener = stack_listener.StackListener()
    delivered: list[socket.socket] = []
    came = threading.Event()
    token = listener.expect(lambda connection: (delivered.append(connection), came.set()))
    silent = connect(listener, b"")  # holds a handshake open, says nothing
    guess = connect(listener, b"0" * (2 * stack_listener.TOKEN_BYTES) + b"\n")
    flood = connect(listener, b"x" * 1000)
    honest = connect(listener, token.encode() + b"\n")
    assert came.wait(5) and len(delivered) == 1  # not held up by the silent one
    again = connect(listener, token.encode() + b"\n")
    for refused in (guess, flood, again, silent):  # the silent one once its handshake has run out
        assert hung_up(refused)
    delivered[0].sendall(b"?")
    assert honest.recv(1) == b"?"
    assert len(delivered) == 1
    for connection in (silent, guess, flood, honest, again, *delivered):
        connection.close()


def test_threads_waiting_at_the_same_line_share_one_line() -> None:
    """Thirty client threads in the same loop make one line, not thirty; other places keep their own."""
    loop = Frame("serveur_exo.py", 31, "gerer_client", "for ligne in fichier:")
    accept = Frame("serveur_exo.py", 52, "<module>", "connexion, adresse = serveur.accept()")
    lock = Frame("serveur_exo.py", 12, "diffuser", "with verrou:")
    waits = [
        ThreadWait(True, (accept,)),
        *(ThreadWait(False, (loop,)) for _ in range(3)),
        ThreadWait(False, (lock,)),
        ThreadWait(False, (loop,)),
    ]
    assert describe(waits) == [
        "thread principal : serveur_exo.py, ligne 52 : connexion, adresse = serveur.accept()",
        "threads 1, 2, 3 et 5 : serveur_exo.py, ligne 31 : for ligne in fichier:",
        "thread 4 : serveur_exo.py, ligne 12 : with verrou:",
    ]
    assert describe(waits[:4])[1] == "threads 1 à 3 : serveur_exo.py, ligne 31 : for ligne in fichier:"
