"""ClientSession: the student's client typed into, read, and facing the scripted server."""

from __future__ import annotations

import socket
import sys

import pytest

from grader import confinement
from grader.harness import timing
from grader.harness.client_session import ClientSession
from grader.harness.errors import CheckFailure
from tests.programs import alive, starter_fixture

CHAT_CLIENT = """
    import os, socket, threading
    nom = input("Entrez votre nom : ")
    s = socket.create_connection((os.environ["CHAT_HOTE"], int(os.environ["CHAT_PORT"])))
    s.sendall((nom + "\\n").encode("utf-8"))

    def recevoir():
        for ligne in s.makefile("r", encoding="utf-8"):
            print(ligne, end="", flush=True)

    threading.Thread(target=recevoir, daemon=True).start()
    while True:
        texte = input()
        if texte == "exit":
            s.close()
            break
        s.sendall((texte + "\\n").encode("utf-8"))
"""


# session_of(source): a ClientSession on that client, tracked by session_of.scope.
session_of = starter_fixture("client_exo", ClientSession.start)


def test_a_good_client_end_to_end(session_of) -> None:
    session = session_of(CHAT_CLIENT)
    assert session.wait_prompt(timeout=5)
    session.type_line("Zoé 🎉")
    server_side = session.accept(timeout=5)
    assert server_side.expect(lambda line: True, 5, expected="le nom") == "Zoé 🎉"
    session.type_line("Bonjour !")
    assert server_side.wait_line(lambda line: line == "Bonjour !", timeout=5)
    server_side.send_line("Bob : こんにちは")
    assert session.process.stdout.wait_line(lambda line: line.endswith("Bob : こんにちは"), timeout=5)
    session.type_line("exit")
    assert server_side.wait_closed(timeout=5)
    assert session.process.wait_exit(timeout=5) == 0
    evidence = session_of.scope.evidence()
    assert "Serveur de test — échanges :\n  ← Zoé 🎉\n  ← Bonjour !\n  → Bob : こんにちは" in evidence
    assert "Sortie du client :\n  Entrez votre nom : Bob : こんにちは" in evidence
    with pytest.raises(CheckFailure, match="le client s'est arrêté \\(code 0\\)"):
        session.type_line("trop tard")


def test_client_that_crashes_instead_of_connecting(session_of) -> None:
    session = session_of("import socket\nsocket.create_connection(('127.0.0.1', 1))\n")
    with pytest.raises(CheckFailure) as raised:
        session.accept(timeout=10)
    failure = raised.value
    assert failure.summary.startswith(
        "Le client s'est arrêté (code 1) sans se connecter au serveur : sa connexion "
        "a été refusée, il ne vise pas le serveur du correcteur (127.0.0.1, port"
    )
    assert "ConnectionRefusedError" in failure.received
    assert "CHAT_PORT" in failure.hint


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc : Linux seulement")
def test_client_connected_elsewhere_is_told_where(session_of, monkeypatch: pytest.MonkeyPatch) -> None:
    # Confined (Landlock with network rules), such a connection is refused as if nothing listened there:
    # this diagnosis is for the systems where it goes through.
    monkeypatch.setenv(confinement.DISABLE_VARIABLE, "non")
    with socket.create_server(("127.0.0.1", 0)) as elsewhere:
        port = elsewhere.getsockname()[1]
        session = session_of(
            f"import socket, time\ns = socket.create_connection(('127.0.0.1', {port}))\n"
            "print('connecté', flush=True)\ntime.sleep(60)\n"
        )
        assert session.process.stdout.wait_line(lambda line: line == "connecté", timeout=5)
        with pytest.raises(CheckFailure) as raised:
            session.accept(timeout=0.2)
    assert raised.value.summary.startswith(f"Le client s'est connecté ailleurs (port {port}) qu'au serveur")


def test_client_that_never_connects_nor_reads(session_of, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "TYPE", 0.2)
    session = session_of("import time\nprint('Entrez votre nom : ', end='', flush=True)\ntime.sleep(60)\n")
    assert session.wait_prompt(timeout=5)
    with pytest.raises(CheckFailure) as raised:
        session.accept(timeout=0.3)
    assert raised.value.summary.startswith("Le client ne s'est pas connecté au serveur (127.0.0.1, port")
    assert raised.value.received == "Entrez votre nom : "
    with pytest.raises(CheckFailure, match="Le client ne lit pas ce qui est tapé"):
        session.type_line("x" * 200_000)
    session.close()
    session.close()
    assert not alive(session.process.pid)


def test_silent_client_shows_no_prompt(session_of) -> None:
    session = session_of("import sys\nsys.stdin.readline()\n")
    assert not session.wait_prompt(timeout=0.2)
    session.process.close_stdin()
    assert session.process.wait_exit(timeout=5) == 0
    assert not session.wait_prompt(timeout=30)  # ended without printing: no waiting
