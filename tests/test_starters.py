"""The starter files (exercice/): they run as they are, and leave the exercise to the student."""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
from collections.abc import Iterator

import pytest

from grader.harness import procfs, rest, timing
from grader.harness.client_session import ClientSession
from grader.harness.student import RunningServer, start_server
from grader.harness.waiting import SeenTwice, wait_probing
from grader.harness.workspace import Workspace
from tests.grading import STARTERS

ADDRESS_LINES = (
    'HOTE = os.environ.get("CHAT_HOTE", "127.0.0.1")',
    'PORT = int(os.environ.get("CHAT_PORT", "55555"))',
)
# What the student writes: none of it may already be called in a starter.
EXERCISE_CALLS = {"recv", "send", "sendall", "connect", "create_connection", "makefile", "Thread", "start"}
OBSERVATION_S = 1.0  # how long the idle starter server is watched for busy looping
MAX_IDLE_CPU_S = 0.5  # CPU it may use in all (start-up included) by the end of that window


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with Workspace(STARTERS) as starters:
        running = start_server(starters)
        yield running
        running.close()


def source(filename: str) -> str:
    return (STARTERS / filename).read_text(encoding="utf-8")


def connect(server: RunningServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=timing.CONNECT)
    sock.settimeout(timing.EXIT)
    sock.sendall(b"Alice\n")
    return sock


def dropped(sock: socket.socket) -> bool:
    """True once the server has closed this connection (end of stream or reset)."""
    with sock:
        try:
            return sock.recv(100) == b""
        except ConnectionResetError:
            return True


def test_starter_server_listens_accepts_and_idles(server: RunningServer) -> None:
    console = server.process.stdout
    assert console.wait_line(lambda line: line == "Serveur en attente de connexions...", timing.START)
    first = server.take_ready_socket()
    assert first is not None
    # gerer_client does nothing yet but close the connection it was given, and the loop goes on
    assert dropped(first)
    for _ in range(3):
        assert dropped(connect(server))
    # Not a synchronisation: a window in which the idle server must neither stop nor burn CPU.
    assert server.process.wait_exit(OBSERVATION_S) is None
    usage = server.process.resource_usage()
    if usage is not None:
        assert usage[0] < MAX_IDLE_CPU_S
    assert console.lines() == ["Serveur en attente de connexions..."]


@pytest.mark.skipif(not procfs.available(), reason="only Linux's /proc tells what each thread waits for")
def test_starter_server_waits_without_a_deadline(server: RunningServer) -> None:
    """Its accept() has no timeout outside Windows: a server completed from it can be proven at rest, and
    is not made to wait the full deadlines (S01, S08, S11)."""
    assert dropped(connect(server))
    idle = SeenTwice(lambda: rest.idle(server.process))
    assert wait_probing(idle, timing.RELAY, [server.process], timing.ALIVE_PROBE)


@pytest.mark.skipif(os.name == "nt", reason="SIGINT cannot be sent to one process on Windows")
def test_starter_server_stops_on_ctrl_c(server: RunningServer) -> None:
    os.kill(server.process.pid, signal.SIGINT)
    assert server.process.wait_exit(timing.EXIT) == 0
    assert server.process.stdout.wait_line(lambda line: line == "Serveur arrêté.", timing.DRAIN)
    assert not server.process.has_traceback()


def test_starter_client_asks_the_name_and_ends() -> None:
    with Workspace(STARTERS) as starters:
        session = ClientSession.start(starters)
        try:
            assert session.wait_prompt(timing.PROMPT)
            assert session.process.stdout.partial() == "Entrez votre nom : "
            session.type_line("Alice")
            assert session.process.wait_exit(timing.EXIT) == 0
            assert not session.process.has_traceback()
            assert session.server.accept(0) is None
        finally:
            session.close()


@pytest.mark.parametrize("filename", ["serveur_exo.py", "client_exo.py"])
def test_starters_read_the_address_from_the_environment(filename: str) -> None:
    lines = source(filename).splitlines()
    assert all(line in lines for line in ADDRESS_LINES)


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("serveur_exo.py", {"diffuser": [3], "gerer_client": [1, 3, 4], "main": [2]}),
        ("client_exo.py", {"recevoir": [3, 4], "main": [2, 3, 3, 4]}),
    ],
)
def test_todos_are_numbered_by_statement_step_where_the_code_goes(
    filename: str, expected: dict[str, list[int]]
) -> None:
    todos: dict[str, list[int]] = {}
    function = ""
    for line in source(filename).splitlines():
        if line.startswith("def "):
            function = line[4 : line.index("(")]
        step = re.search(r"# TODO (\d)", line)
        if step:
            todos.setdefault(function, []).append(int(step.group(1)))
    assert todos == expected


@pytest.mark.parametrize("filename", ["serveur_exo.py", "client_exo.py"])
def test_no_solution_hidden_in_the_starters(filename: str) -> None:
    tree = ast.parse(source(filename))
    called = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert not called & EXERCISE_CALLS
