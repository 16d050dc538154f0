"""Where the student's program waits: the grader's start-up hook, the dump, and what it tells."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from grader.harness.output import OutputStream
from grader.harness.stacks import StackChannel, classic_causes, describe, parse_dump
from tests.grading import CORPUS, grade

PROGRAM = """\
import sys
import threading

def attendre():
    threading.Event().wait()

threading.Thread(target=attendre, daemon=True).start()
print(sys.argv, __name__, __file__.endswith("prog.py"), sys.path[0] == {folder!r}, threading.active_count(),
      flush=True)
nom = input("Entrez votre nom : ")
print("bonjour", nom)
"""


def start(tmp_path: Path) -> tuple[subprocess.Popen, StackChannel, OutputStream]:
    (tmp_path / "prog.py").write_text(PROGRAM.format(folder=str(tmp_path)), encoding="utf-8")
    channel = StackChannel()
    popen = subprocess.Popen([*channel.command("prog.py"), "--option"], cwd=tmp_path, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, **channel.popen_options())
    channel.started()
    return popen, channel, OutputStream("sortie", popen.stdout)


@pytest.mark.parametrize("run", range(3))
def test_the_hook_runs_the_program_as_python_would_and_dumps_on_request(tmp_path: Path, run: int) -> None:
    popen, channel, stdout = start(tmp_path)
    try:
        assert stdout.wait_line(lambda line: "prog.py" in line, 10) == "['prog.py', '--option'] __main__ True True 2"
        assert stdout.wait_text(lambda text: text.endswith("Entrez votre nom : "), 10)
        waits = parse_dump(channel.request(5) or [], tmp_path)
        assert describe(waits) == [
            'thread principal : prog.py, ligne 10 : nom = input("Entrez votre nom : ")',
            "thread 1 : prog.py, ligne 5 : threading.Event().wait()",
        ]
        assert channel.request(5)  # as often as asked, and the program goes on untouched
        popen.stdin.write(b"Alice\n")
        popen.stdin.close()
        assert popen.wait(10) == 0
        assert stdout.wait_eof(5) and stdout.lines()[-1] == "Entrez votre nom : bonjour Alice"
        assert popen.stderr.read() == b""  # nothing of the hook on the student's stderr
    finally:
        popen.kill()
        popen.wait()
        channel.close()


def test_a_program_that_is_gone_gives_no_dump(tmp_path: Path) -> None:
    popen, channel, _ = start(tmp_path)
    popen.kill()
    popen.wait()
    assert channel.request(0.5) is None
    channel.close()


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
    return [line.strip() for line in lines[start + 1:] if line.startswith("  ")]


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
