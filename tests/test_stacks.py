"""Where the student's program waits: the grader's start-up hook, the dump, and what it tells."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest

from grader.harness.process import StudentProcess
from grader.harness.stacks import classic_causes, describe, parse_dump
from tests.grading import CORPUS, grade

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("run", range(3))
def test_the_hook_answers_where_each_thread_waits_and_stays_out_of_sight(tmp_path: Path, run: int) -> None:
    proc = start(tmp_path)
    try:
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


def test_corpus_input_in_the_server() -> None:
    result = grade(CORPUS / "input_dans_le_serveur", "--only", "S03")
    shown = blocked_lines(result.message("S03"))
    assert 'thread principal : serveur_exo.py, ligne 45 : annonce = input("Annonce du serveur : ")' in shown
    assert any(line.startswith("Le serveur attend une saisie au clavier (input(), ligne 45)") for line in shown)


def test_corpus_name_read_in_the_accept_loop() -> None:
    result = grade(CORPUS / "nom_dans_boucle_accept", "--only", "S03,S05,S11")
    shown = blocked_lines(result.message("S05"))
    assert any(line.startswith("thread principal : serveur_exo.py, ligne") and "readline" in line for line in shown)
    assert any("est lu dans la boucle d'accept()" in line for line in shown)


def test_corpus_client_recv_after_input() -> None:
    result = grade(CORPUS / "client_sans_thread_reception", "--only", "C01,C02,C03,C04,C05,C06,C07")
    shown = blocked_lines(result.message("C03"))
    assert "thread principal : client_exo.py, ligne 19 : donnees = client.recv(1024)" in shown
    assert any(line.startswith("Le client attend le serveur avec recv() juste après input()") for line in shown)


def test_the_probes_of_proc_do_not_count_the_hooks_thread() -> None:
    from grader.harness import procfs, stack_hook

    assert stack_hook.HOOK_FD == procfs.HOOK_FD
