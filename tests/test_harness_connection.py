"""LineConnection, ScriptedClient and ScriptedServer, talking to each other and to raw sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from grader.harness.connection import (
    MAX_KEPT_BYTES,
    TRANSCRIPT_CHARS,
    LineConnection,
    ScriptedClient,
    ScriptedServer,
)
from grader.harness.errors import CheckFailure
from grader.harness.lines import MAX_LINE_BYTES
from grader.harness.ports import free_port


@pytest.fixture
def pair() -> Iterator[tuple[ScriptedClient, LineConnection, ScriptedServer]]:
    server = ScriptedServer()
    client = ScriptedClient.connect("127.0.0.1", server.port, "Alice")
    peer = server.accept(timeout=5)
    assert peer is not None
    yield client, peer, server
    client.close()
    server.close()


@pytest.fixture
def raw_listener() -> Iterator[socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    yield listener
    listener.close()


def test_name_lines_utf8_and_transcript(pair) -> None:
    client, peer, _ = pair
    assert peer.wait_line(lambda line: True, timeout=5) == "Alice"
    mark = peer.mark()
    message = "Zoé 🎉 こんにちは".encode("utf-8")
    client.send_raw(message[:3])
    client.send_raw(message[3:] + b"\r\nsecond\n")
    assert peer.expect(lambda line: line == "second", 5, expected="second", since=mark) == "second"
    assert peer.lines(mark) == ["Zoé 🎉 こんにちは", "second"]
    assert peer.raw_lines(mark)[0] == message + b"\r"
    peer.send_line("Bob : Salut")
    assert client.wait_line(lambda line: line.startswith("Bob"), 5) == "Bob : Salut"
    assert client.transcript() == [
        "→ Alice",
        "→ [octets bruts] Zo\ufffd",
        "→ [octets bruts] \ufffd 🎉 こんにちは\r⏎second⏎",
        "← Bob : Salut",
    ]
    assert client.transcript(max_lines=1) == ["← Bob : Salut"]


def test_expect_failure_shows_what_came_back(pair) -> None:
    client, peer, _ = pair
    peer.send_line("Bienvenue")
    peer.send_raw(b"Alice : Bonjour")  # no end of line
    with pytest.raises(CheckFailure) as raised:
        client.expect(lambda line: "Bonjour" in line, 0.3, expected="Alice : Bonjour", sent="Bonjour")
    failure = raised.value
    assert failure.summary == "Alice n'a pas reçu la ligne attendue en 0,3 s."
    assert failure.received == "« Bienvenue »\n  « Alice : Bonjour » (sans fin de ligne)"
    assert failure.sent == "Bonjour" and failure.expected == "Alice : Bonjour"
    silent = ScriptedClient.connect("127.0.0.1", pair[2].port, "Bob", send_name=False)
    try:
        with pytest.raises(CheckFailure, match="Bob n'a rien reçu en 0,1 s"):
            silent.expect(lambda line: True, 0.1, expected="quelque chose")
    finally:
        silent.close()


def test_close_sends_end_of_stream_and_reset_sends_rst(raw_listener: socket.socket) -> None:
    port = raw_listener.getsockname()[1]
    orderly = ScriptedClient.connect("127.0.0.1", port, "Alice", send_name=False)
    raw, _ = raw_listener.accept()
    with raw:
        orderly.close()
        raw.settimeout(5)
        assert raw.recv(10) == b""
    abrupt = ScriptedClient.connect("127.0.0.1", port, "Bob", send_name=False)
    raw, _ = raw_listener.accept()
    with raw:
        abrupt.reset()
        raw.settimeout(5)
        with pytest.raises(ConnectionResetError):
            raw.recv(10)
    assert orderly.closed and abrupt.closed
    orderly.close()
    abrupt.reset()  # idempotent


def test_peer_gone_is_seen_and_sending_fails_in_french(pair) -> None:
    client, peer, _ = pair
    peer.close()
    assert client.wait_closed(timeout=5)
    with pytest.raises(CheckFailure, match="ne peut pas envoyer : la connexion a été fermée"):
        for _ in range(50):  # the first sends to a closed peer usually succeed
            client.send_line("encore")
    assert client.wait_line(lambda line: True, timeout=30) is None  # closed: no waiting


def test_refused_connection_is_a_check_failure() -> None:
    with pytest.raises(CheckFailure, match="Connexion refusée pour Alice"):
        ScriptedClient.connect("127.0.0.1", free_port(), "Alice")


def test_huge_line_is_truncated(pair) -> None:
    client, peer, _ = pair
    peer.send_raw(b"x" * (10 * 1024 * 1024) + b"\nfin\n")
    assert client.wait_line(lambda line: line == "fin", timeout=10) == "fin"
    first = client.lines()[0]
    assert len(first) <= MAX_LINE_BYTES + 4 and first.endswith("[…]")
    assert len(client.transcript()[-2]) <= TRANSCRIPT_CHARS + 4


def test_a_flooding_peer_is_bounded(pair) -> None:
    client, peer, _ = pair
    line = b"y" * 1000 + b"\n"
    peer.send_raw(line * 5000)  # 5 MB
    peer.send_line("fin")
    peer.close()
    assert client.wait_closed(timeout=10)
    assert sum(len(text) for text in client.lines()) <= MAX_KEPT_BYTES
    assert client.dropped_lines > 0


def test_scripted_server_accepts_in_order_and_closes_promptly() -> None:
    server = ScriptedServer()
    try:
        assert server.accept(timeout=0.05) is None
        first = socket.create_connection(("127.0.0.1", server.port))
        second = socket.create_connection(("127.0.0.1", server.port))
        first.sendall(b"un\n")
        second.sendall(b"deux\n")
        a, b = server.accept(timeout=5), server.accept(timeout=5)
        assert a.wait_line(lambda _line: True, 5) == "un" and b.wait_line(lambda _line: True, 5) == "deux"
        assert (a.label, b.label) == ("Serveur de test", "Serveur de test (connexion 2)")
    finally:
        began = time.monotonic()
        server.close()
        server.close()
    assert time.monotonic() - began < 1
    first.settimeout(5)
    assert first.recv(10) == b""
    first.close()
    second.close()
