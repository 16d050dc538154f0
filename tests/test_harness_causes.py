"""causes.thread_per_client: which hint a server that closes a client's connection right after its name gets."""

from pathlib import Path

import pytest

from grader.harness.causes import thread_per_client

ACCEPT_THEN_SERVE = """
import socket
def gerer_client(connexion):
    connexion.close()
def main(serveur):
    while True:
        connexion, adresse = serveur.accept()
        {serve}
"""


@pytest.mark.parametrize(
    ("serve", "threaded"),
    [
        ("threading.Thread(target=gerer_client, args=(connexion,), daemon=True).start()", True),
        ("Thread(target=gerer_client, args=(connexion,)).start()", True),
        ("_thread.start_new_thread(gerer_client, (connexion,))", True),
        ("gerer_client(connexion)", False),
    ],
)
def test_a_thread_started_where_clients_are_accepted(tmp_path: Path, serve: str, threaded: bool) -> None:
    source = tmp_path / "serveur_exo.py"
    source.write_text(ACCEPT_THEN_SERVE.format(serve=serve), encoding="utf-8")
    assert thread_per_client(source) is threaded


def test_a_thread_elsewhere_or_an_unreadable_file_is_not_one(tmp_path: Path) -> None:
    elsewhere = tmp_path / "ailleurs.py"
    elsewhere.write_text(
        "import threading\n"
        "def console():\n    threading.Thread(target=print).start()\n"
        "def main(serveur):\n    connexion, _ = serveur.accept()\n    connexion.close()\n",
        encoding="utf-8",
    )
    broken = tmp_path / "casse.py"
    broken.write_text("def main(:\n", encoding="utf-8")
    assert not thread_per_client(elsewhere)
    assert not thread_per_client(broken)
    assert not thread_per_client(tmp_path / "absent.py")
