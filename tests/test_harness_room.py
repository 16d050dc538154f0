"""ChatRoom: fair joins and relays on small chat servers, each playing a bug; CheckScope evidence."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from grader.harness import timing
from grader.harness.errors import CheckFailure
from grader.harness.room import ChatRoom
from grader.harness.scope import CheckScope
from tests.programs import alive, chat_server, make_workspace, starter_fixture

# open_room(source): a ChatRoom on that server, tracked by open_room.scope.
open_room = starter_fixture("serveur_exo", ChatRoom.start)


def test_join_say_and_no_phantom_client(open_room) -> None:
    room = open_room(chat_server())
    alice, bob, charlie = room.join("Alice"), room.join("Bob"), room.join("Charlie")
    assert room.join_evidence is True
    got = room.say(alice, "Bonjour !", [bob, charlie])
    assert got == {bob: "Alice : Bonjour !", charlie: "Alice : Bonjour !"}
    room.say(bob, "Salut", [])  # logged by the server's console
    assert room.console.lines().count("connexion acceptée") == 3  # the readiness connection was Alice
    assert "Bob : Salut" in room.console.lines()


def test_relay_failures_are_diagnosed(open_room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "RELAY", 0.5)
    room = open_room(chat_server(to_sender_only=True))
    alice, bob = room.join("Alice"), room.join("Bob")
    began = time.monotonic()
    with pytest.raises(CheckFailure) as raised:
        room.say(alice, "Bonjour !", [bob])
    assert time.monotonic() - began < timing.RELAY + 1
    failure = raised.value
    assert failure.summary in (
        "Le message d'Alice n'est pas arrivé à Bob en 0,5 s.",  # the deadline waited out
        "Le message d'Alice n'est pas arrivé à Bob : le serveur s'est remis à attendre sans l'envoyer.",
    )  # Linux: the server seen at rest
    assert failure.expected == "Alice : Bonjour !" and failure.received == "rien"
    assert "tous les autres clients" in failure.hint


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is read on Linux only")
def test_a_server_at_rest_is_judged_without_waiting_out_the_deadline(open_room) -> None:
    room = open_room(chat_server(to_sender_only=True, log_joins=False))
    began = time.monotonic()
    alice, bob = room.join("Alice"), room.join("Bob")  # no evidence of either join: the server waits in recv()
    with pytest.raises(CheckFailure) as raised:
        room.say(alice, "Bonjour !", [bob])  # echoed to Alice only
    assert time.monotonic() - began < timing.RELAY
    assert room.join_evidence is False and room.track_record.relays is False
    assert raised.value.summary == (
        "Le message d'Alice n'est pas arrivé à Bob : le serveur s'est remis à attendre sans l'envoyer."
    )
    assert room.wait_line_or_rest(alice, lambda line: "Bonjour" in line, timing.RELAY) == "Alice : Bonjour !"


def test_missing_newline_is_named(open_room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "RELAY", 0.5)
    room = open_room(chat_server(end=""))
    alice, bob = room.join("Alice"), room.join("Bob")
    with pytest.raises(CheckFailure) as raised:
        room.say(alice, "Bonjour !", [bob])
    assert raised.value.summary == "Le message d'Alice est arrivé à Bob sans fin de ligne."
    assert raised.value.received == "« Alice : Bonjour ! » (sans fin de ligne)"


def test_server_without_join_evidence_uses_the_fallback(open_room, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ChatRoom, "at_rest", lambda room: False)  # as where /proc cannot tell
    monkeypatch.setattr(timing, "JOIN", 1.5)
    monkeypatch.setattr(timing, "JOIN_FALLBACK", 0.05)
    room = open_room(chat_server(log_joins=False))
    began = time.monotonic()
    alice = room.join("Alice")
    assert time.monotonic() - began >= timing.JOIN
    assert room.join_evidence is False
    began = time.monotonic()
    bob = room.join("Bob")
    assert time.monotonic() - began < timing.JOIN / 2
    assert room.say(alice, "Bonjour !", [bob]) == {bob: "Alice : Bonjour !"}


def test_prove_absent_uses_the_marks_before_the_previous_action(open_room) -> None:
    room = open_room(chat_server())
    alice, bob, charlie = room.join("Alice"), room.join("Bob"), room.join("Charlie")
    alice.send_line("/commande secrète")  # not relayed by this server
    room.prove_absent(alice, "sentinelle 1", [bob, charlie], lambda line: "secrète" in line, [bob, charlie])
    room.say(alice, "Bonjour !", [bob, charlie])
    with pytest.raises(CheckFailure) as raised:
        room.prove_absent(
            alice,
            "sentinelle 2",
            [bob, charlie],
            lambda line: "Bonjour" in line,
            [charlie],
            summary="Charlie a reçu le message privé.",
        )
    assert raised.value.summary == "Charlie a reçu le message privé."
    assert raised.value.received == "« Alice : Bonjour ! »"


def test_console_command_and_silent_client(open_room) -> None:
    room = open_room(chat_server())
    silent = room.connect_silent()
    assert silent.label == "client silencieux"
    alice, bob = room.join("Alice"), room.join("Bob")
    room.console_command("/kick Bob")
    assert room.console.wait_line(lambda line: line == "commande : /kick Bob", timeout=5)
    room.say(alice, "Toujours là", [bob])
    assert room.console.lines().count("connexion acceptée") == 3


def test_server_crash_is_reported_with_its_traceback(open_room) -> None:
    room = open_room(chat_server(crash_on_reset=True))
    alice, bob = room.join("Alice"), room.join("Bob")
    bob.reset()
    assert room.server.process.wait_exit(timeout=5) == 1
    with pytest.raises(CheckFailure) as raised:
        room.say(alice, "Il y a quelqu'un ?", [bob])
    failure = raised.value
    assert failure.summary.startswith("Le serveur s'est arrêté (code 1)")
    assert "ConnectionResetError" in failure.received
    evidence = open_room.scope.evidence()
    assert "Alice — échanges :\n  → Alice" in evidence
    assert "Trace d'erreur du serveur :\n  Trace d'erreur (l'appel le plus récent en dernier) :" in evidence
    assert "Sortie du serveur" in evidence


def test_scene_close_kills_and_is_idempotent(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, serveur_exo=chat_server())
    with CheckScope(verbose=True) as scope:
        room = scope.track(ChatRoom.start(workspace))
        alice = room.join("Alice")
        for number in range(12):
            alice.send_line(f"message {number}")
        assert room.console.wait_line(lambda line: line == "Alice : message 11", timeout=5)
        scope.remark("Séparateur « : » sans espaces : accepté.")
        scope.remark("Séparateur « : » sans espaces : accepté.")
        evidence = scope.evidence()
    assert scope.remarks == ["Séparateur « : » sans espaces : accepté."]
    assert evidence.count("  → message") == 12  # verbose: everything
    assert not alive(room.server.process.pid) and alice.closed
    scope.close()
    compact = CheckScope()
    compact.track(room)
    assert compact.evidence().count("  → message") == 7  # the last 8 of 14 entries: the close is one
    assert "  → [le correcteur ferme la connexion]" in compact.evidence()
    assert "Alice — échanges (dernières lignes) :" in compact.evidence()
    workspace.cleanup()
