"""The reference client (solution/client_exo.py), driven through its stdin against a scripted server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.harness import timing
from grader.harness.client_session import ClientSession
from grader.harness.connection import LineConnection
from grader.harness.workspace import Workspace

PROMPT = "Votre message : "


@pytest.fixture
def session(reference: Workspace) -> Iterator[ClientSession]:
    running = ClientSession.start(reference)
    yield running
    running.close()


def joined(session: ClientSession, name: str = "Alice") -> LineConnection:
    """Type the name at the prompt; the connection the client opened, its first line checked."""
    assert session.wait_prompt(timing.PROMPT)
    assert session.process.stdout.partial() == "Entrez votre nom : "
    session.type_line(name)
    connection = session.accept(timing.ACCEPT)
    connection.expect(lambda line: True, timing.RELAY, expected="le nom")
    assert connection.raw_lines()[0] == name.encode("utf-8")
    return connection


def sent_by_client(connection: LineConnection, text: str) -> None:
    connection.expect(lambda line: line == text, timing.RELAY, expected=text)


def shown(session: ClientSession, text: str) -> None:
    """The client printed `text` alone on its line."""
    assert session.process.stdout.wait_line(lambda line: line == text, timing.RELAY), session.process.stdout.tail()


def ended_cleanly(session: ClientSession, code: int = 0) -> None:
    assert session.process.wait_exit(timing.EXIT) == code
    session.process.stderr.wait_eof(timing.DRAIN)
    assert not session.process.has_traceback(), session.process.stderr.text()


def test_name_is_sent_first_in_utf8(session: ClientSession) -> None:
    connection = joined(session, "Zoé 李")
    session.type_line("Bonjour 😀 à tous")
    sent_by_client(connection, "Bonjour 😀 à tous")
    assert connection.raw_lines() == ["Zoé 李".encode(), "Bonjour 😀 à tous".encode()]


def test_an_empty_name_is_asked_again(session: ClientSession) -> None:
    assert session.wait_prompt(timing.PROMPT)
    session.type_line("  ")
    session.type_line("Alice")
    connection = session.accept(timing.ACCEPT)
    sent_by_client(connection, "Alice")
    assert connection.lines() == ["Alice"]


def test_received_lines_are_shown_without_typing_and_the_prompt_comes_back(session: ClientSession) -> None:
    connection = joined(session)
    connection.send_line("[12:00] Bob : Salut Alice !")
    shown(session, "[12:00] Bob : Salut Alice !")
    assert session.process.stdout.wait_text(lambda text: text.endswith(PROMPT), timing.RELAY)
    assert session.process.stdout.partial().startswith(PROMPT)


def test_coalesced_and_split_lines_from_the_server(session: ClientSession) -> None:
    connection = joined(session)
    connection.send_raw(b"un\ndeux\n")
    shown(session, "deux")
    data = "Bob : café ☕\n".encode()
    cut = data.index("☕".encode()) + 1
    connection.send_raw(data[:cut])
    session.type_line("synchro")  # a round trip through the client between the two pieces
    sent_by_client(connection, "synchro")
    connection.send_raw(data[cut:])
    shown(session, "Bob : café ☕")
    assert "un" in session.process.stdout.lines()
    assert not any("\ufffd" in line for line in session.process.stdout.lines())


@pytest.mark.parametrize("command", ["exit", "/quitter", "/exit"])
def test_exit_closes_the_connection_and_ends(session: ClientSession, command: str) -> None:
    connection = joined(session)
    session.type_line(command)
    assert connection.wait_closed(timing.EXIT)
    ended_cleanly(session)
    assert connection.lines() == ["Alice"]


def test_end_of_stdin_ends_the_client(session: ClientSession) -> None:
    connection = joined(session)
    session.process.close_stdin()
    assert connection.wait_closed(timing.EXIT)
    ended_cleanly(session)


@pytest.mark.parametrize("leave", ["close", "reset"])
def test_server_going_away_ends_the_client(session: ClientSession, leave: str) -> None:
    connection = joined(session)
    getattr(connection, leave)()
    ended_cleanly(session)
    shown(session, "Le serveur a fermé la connexion. Au revoir !")


def test_server_unreachable(session: ClientSession) -> None:
    session.server.close()
    assert session.wait_prompt(timing.PROMPT)
    session.type_line("Alice")
    ended_cleanly(session, code=1)
    assert session.process.stderr.wait_line(
        lambda line: line.startswith("Impossible de se connecter au serveur 127.0.0.1:"), timing.DRAIN
    )
