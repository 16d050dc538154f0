"""check_compiles, start_server and start_client on tiny programs (good, broken, hostile)."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from grader.harness import student as student_module
from grader.harness.errors import CheckFailure
from grader.harness.ports import free_port as real_free_port
from grader.harness.student import check_compiles, start_client, start_server
from grader.harness.workspace import Workspace
from tests.programs import alive, chat_server, make_workspace, write_program

LINUX = sys.platform.startswith("linux")


@pytest.fixture
def chat_workspace(tmp_path: Path):
    workspace = make_workspace(tmp_path / "chat", serveur_exo=chat_server())
    yield workspace
    workspace.cleanup()


def failure_of(workspace: Workspace, filename: str = "serveur_exo.py") -> CheckFailure:
    with pytest.raises(CheckFailure) as raised:
        check_compiles(workspace, filename)
    return raised.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"", "est vide"),
        (b"  \n\n", "est vide"),
        (b'print("x"\n', 'erreur de syntaxe à la ligne 1.\n    print("x"\n         ^\nMessage de Python'),
        (b"if True:\nprint(1)\n", "erreur d'indentation à la ligne 2"),
        (b'x = 1\nnom = "\xe9l\xe8ve"\n', 'n\'est pas enregistré en UTF-8 (ligne 2 : « nom = "élève" »)'),
        (b'nom = "\xe9l\xe8ve"\n', 'n\'est pas enregistré en UTF-8 (ligne 1 : « nom = "élève" »)'),
        (b"# coding: klingon\nx = 1\n", "déclare un encodage que Python ne connaît pas"),
        (b"x = 1\x00\n", "octets nuls"),
    ],
)
def test_check_compiles_diagnoses(tmp_path: Path, source: bytes, expected: str) -> None:
    (tmp_path / "serveur_exo.py").write_bytes(source)
    with Workspace(tmp_path) as workspace:
        failure = failure_of(workspace)
    assert expected in failure.summary
    assert failure.hint


def test_check_compiles_accepts_declared_encodings_and_reports_missing_files(tmp_path: Path) -> None:
    (tmp_path / "serveur_exo.py").write_bytes(b'# -*- coding: latin-1 -*-\nnom = "\xe9l\xe8ve"\n')
    with Workspace(tmp_path) as workspace:
        check_compiles(workspace, "serveur_exo.py")
        failure = failure_of(workspace, "client_exo.py")
    assert failure.summary == "Le fichier client_exo.py est introuvable dans le dossier rendu."


def test_a_file_compiled_once_is_judged_again_when_its_text_changes(tmp_path: Path) -> None:
    program = tmp_path / "serveur_exo.py"
    program.write_bytes(b"x = 1\n")
    with Workspace(tmp_path) as workspace:
        check_compiles(workspace, "serveur_exo.py")
        check_compiles(workspace, "serveur_exo.py")  # the same text: compiled once, judged alike
        workspace.path("serveur_exo.py").write_bytes(b'print("x"\n')
        assert "erreur de syntaxe à la ligne 1" in failure_of(workspace).summary
        assert "erreur de syntaxe à la ligne 1" in failure_of(workspace).summary  # an error is never kept


def test_compiling_never_runs_the_program(tmp_path: Path) -> None:
    witness = tmp_path / "execute.txt"
    (tmp_path / "serveur_exo.py").write_text(f"open({str(witness)!r}, 'w').close()\n", encoding="utf-8")
    with Workspace(tmp_path) as workspace:
        check_compiles(workspace, "serveur_exo.py")
    assert not witness.exists()


def test_server_ready_and_readiness_socket_handed_over(chat_workspace: Workspace) -> None:
    server = start_server(chat_workspace)
    try:
        assert server.host == "127.0.0.1"
        assert server.process.stdout.wait_line(lambda line: "en attente" in line, timeout=5)
        ready = server.take_ready_socket()
        assert isinstance(ready, socket.socket) and server.take_ready_socket() is None
        ready.sendall(b"Alice\n")
        assert server.process.stdout.wait_line(lambda line: line == "Alice (127.0.0.1) a rejoint le chat.", 5)
        ready.close()
        if LINUX:
            assert server.listening_ports() == [server.port]
    finally:
        server.close()
    assert not alive(server.process.pid)


def test_unused_readiness_socket_is_closed_at_teardown(chat_workspace: Workspace) -> None:
    server = start_server(chat_workspace)
    ready = server._ready
    server.close()
    assert ready is not None and ready.fileno() == -1


def start_failure(folder: Path, source: str, timeout: float = 5.0) -> CheckFailure:
    with make_workspace(folder, serveur_exo=source) as workspace, pytest.raises(CheckFailure) as raised:
        start_server(workspace, timeout=timeout)
    return raised.value


def test_crash_at_start_is_told_at_once_with_its_traceback(tmp_path: Path) -> None:
    began = time.monotonic()
    failure = start_failure(tmp_path, "import socket\nsocket.socket().bind(('127.0.0.1', 'port'))\n")
    assert time.monotonic() - began < 3
    assert failure.summary.startswith("Le serveur s'est arrêté au démarrage (code 1)")
    assert failure.received.startswith("Trace d'erreur (l'appel le plus récent en dernier) :")
    assert "TypeError" in failure.received.splitlines()[-1]


def test_exit_at_once_with_code_zero(tmp_path: Path) -> None:
    failure = start_failure(tmp_path, "print('Serveur en attente de connexions...')\n")
    assert failure.summary.startswith("Le serveur s'est terminé tout de suite (code 0)")
    assert failure.received == "Serveur en attente de connexions..."


def test_never_listens(tmp_path: Path) -> None:
    source = "import socket, time\nprint('je réfléchis', flush=True)\ns = socket.socket()\ntime.sleep(60)\n"
    began = time.monotonic()
    failure = start_failure(tmp_path, source, timeout=0.5)
    assert time.monotonic() - began < 4
    where = "n'écoute sur aucun port" if LINUX else "n'écoute pas sur le port"
    assert failure.summary.startswith(f"Le serveur {where} au bout de 0,5 s.")
    assert failure.received == "je réfléchis"


def test_listens_on_another_port(tmp_path: Path) -> None:
    source = """
        import socket, time
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        print(s.getsockname()[1], flush=True)
        time.sleep(60)
    """
    failure = start_failure(tmp_path, source, timeout=0.5)
    if LINUX:
        assert failure.summary.endswith(f"il écoute sur le port {failure.received}.")
        assert "CHAT_PORT" in failure.hint
    else:
        assert "n'écoute pas sur le port" in failure.summary


@pytest.mark.skipif(not LINUX, reason="/proc : Linux seulement")
def test_listening_elsewhere_is_told_at_once(tmp_path: Path) -> None:
    source = """
        import socket, time
        s = socket.create_server(("127.0.0.1", 0))
        print(s.getsockname()[1], flush=True)
        time.sleep(60)
    """
    began = time.monotonic()
    failure = start_failure(tmp_path, source, timeout=30)
    assert time.monotonic() - began < 10
    assert failure.summary.endswith(f"il écoute sur le port {failure.received}.")


@pytest.mark.skipif(not LINUX, reason="/proc : Linux seulement")
def test_right_port_on_another_address_is_told_at_once(tmp_path: Path) -> None:
    source = """
        import os, socket, time
        s = socket.create_server(("127.0.0.2", int(os.environ["CHAT_PORT"])))
        time.sleep(60)
    """
    began = time.monotonic()
    failure = start_failure(tmp_path, source, timeout=30)
    assert time.monotonic() - began < 10
    assert "mais pas à l'adresse 127.0.0.1" in failure.summary


@pytest.mark.skipif(not LINUX, reason="/proc : Linux seulement")
def test_waiting_for_the_keyboard_is_told_at_once(tmp_path: Path) -> None:
    began = time.monotonic()
    failure = start_failure(tmp_path, "port = input('Port du serveur : ')\n", timeout=30)
    assert time.monotonic() - began < 10
    assert "il attend qu'on tape quelque chose au clavier" in failure.summary
    assert failure.received == "Port du serveur : "


@pytest.mark.skipif(not LINUX, reason="/proc : Linux seulement")
def test_endless_loop_before_listening_is_named(tmp_path: Path) -> None:
    failure = start_failure(tmp_path, "while True:\n    pass\n", timeout=1.5)
    assert failure.summary == (
        "Le serveur n'écoute sur aucun port au bout de 1,5 s. Pendant ce temps, il calculait sans arrêt : "
        "une boucle sans fin avant listen() ?"
    )


def test_missing_program_names_a_close_file_or_a_link(tmp_path: Path) -> None:
    elsewhere = write_program(tmp_path / "ailleurs", "client_exo.py", "print('client')\n")
    misnamed, linked = tmp_path / "mal_nomme", tmp_path / "lien"
    write_program(misnamed, "Serveur_Exo.py", "print('serveur')\n")
    write_program(misnamed, "client_exo.py", "print('client')\n")
    write_program(linked, "serveur_exo.py", "print('serveur')\n")
    (linked / "client_exo.py").symlink_to(elsewhere)
    with Workspace(misnamed) as workspace:
        server = failure_of(workspace, "serveur_exo.py")
    with Workspace(linked) as workspace:
        client = failure_of(workspace, "client_exo.py")
    assert server.summary.endswith("introuvable dans le dossier rendu, mais « Serveur_Exo.py » y est.")
    assert "Renommez « Serveur_Exo.py » en serveur_exo.py" in server.hint
    assert client.summary == (
        "Le fichier client_exo.py n'a pas été pris dans le dossier rendu (lien symbolique, non suivi)."
    )


def test_start_client_gets_the_port(tmp_path: Path) -> None:
    client = "import os\nprint(os.environ['CHAT_HOTE'], os.environ['CHAT_PORT'])\n"
    with make_workspace(tmp_path, client_exo=client) as workspace:
        process = start_client(workspace, 6543)
        try:
            assert process.wait_exit(timeout=5) == 0
            assert process.stdout.wait_line(lambda line: line == "127.0.0.1 6543", timeout=5)
            assert process.workdir != workspace.snapshot
        finally:
            process.kill_tree()


@pytest.mark.skipif(not LINUX, reason="/proc : Linux seulement")
def test_a_port_taken_in_the_meantime_is_replaced(chat_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other_program:
        taken = other_program.getsockname()[1]
        ports = iter([taken, taken])
        monkeypatch.setattr(student_module, "free_port", lambda: next(ports, None) or real_free_port())
        server = start_server(chat_workspace)
        try:
            assert server.port != taken and server.listening_ports() == [server.port]
        finally:
            server.close()
        monkeypatch.setattr(student_module, "free_port", lambda: taken)
        with pytest.raises(CheckFailure, match=r"Address already in use|pris par un autre programme"):
            start_server(chat_workspace)
