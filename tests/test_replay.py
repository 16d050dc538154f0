"""--rejouer: the exchange of a failed server check, replayed by the student against a server started by hand."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from grader.harness.ports import free_port
from grader.harness.waiting import wait_probing
from tests.grading import CORPUS, ROOT, SOLUTION, run_grader

START_S = 10.0


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def server_by_hand(source: Path, scratch: Path) -> Iterator[int]:
    """`python serveur_exo.py` as a student starts it (from a copy: a bonus may write beside it), on a free
    port, until it accepts connections."""
    folder = scratch / source.name
    folder.mkdir()
    shutil.copy(source / "serveur_exo.py", folder)
    port = free_port()
    env = {**os.environ, "CHAT_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "serveur_exo.py"],
        cwd=folder,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_probing(lambda: listening(port) or server.poll() is not None, START_S, [], 0.05)
        assert server.poll() is None, "le serveur s'est arrêté"
        yield port
    finally:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def replay_s03(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rapport")
    done = run_grader(str(CORPUS / "sans_prefixe"), "--rejouer", "S03", cwd=folder, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Échange de S03 écrit dans {folder / 'rejouer_S03.py'}" in done.stdout
    return folder / "rejouer_S03.py"


def replay(script: Path, port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), "--sans-pause", "--port", str(port)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_the_replay_passes_against_the_reference(replay_s03: Path, tmp_path: Path) -> None:
    with server_by_hand(SOLUTION, tmp_path) as port:
        done = replay(replay_s03, port)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  Alice envoie : Bonjour !" in done.stdout
    assert any(
        line.startswith("    Bob reçoit : ") and line.endswith("Alice : Bonjour !") for line in done.stdout.splitlines()
    )  # the reference adds the time: "[14:05] Alice : …"
    assert "  ✓ attendu chez Bob : Alice : Bonjour !" in done.stdout


def test_the_replay_shows_the_bug_of_the_buggy_server(replay_s03: Path, tmp_path: Path) -> None:
    with server_by_hand(CORPUS / "sans_prefixe", tmp_path) as port:
        done = replay(replay_s03, port)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "    Bob reçoit : Bonjour !" in done.stdout
    assert "  ✗ attendu chez Bob : Alice : Bonjour ! (rien en 3 s)" in done.stdout


def test_a_check_that_passed_or_a_client_check_is_not_replayed(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT)}
    passed = run_grader(str(SOLUTION), "--rejouer", "S02", cwd=tmp_path, env=env)
    assert "Rien à rejouer : S02 n'a pas échoué." in passed.stdout
    client = run_grader(str(SOLUTION), "--rejouer", "C03", cwd=tmp_path, env=env)
    assert client.returncode == 2 and "n'est pas une vérification du serveur" in client.stderr
    assert list(tmp_path.iterdir()) == []
