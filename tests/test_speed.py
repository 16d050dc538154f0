"""Grading speed: what the rooms of one session remember about the server, sentinels instead of deadlines,
no wait for the exit of a server that is plainly alive, and generous time bounds on whole gradings
(bench/ measures the real figures, see docs/performances.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.harness import timing
from grader.harness.errors import CheckFailure
from grader.harness.room import ChatRoom, ServerTrackRecord
from grader.harness.scope import CheckScope
from grader.harness.workspace import Workspace
from tests.grading import CORPUS, ROOT, STARTERS, grade, run_grader
from tests.programs import chat_server, make_workspace
from tests.test_corpus_client import ONLY_CLIENT

LINUX = sys.platform.startswith("linux")
BONUS_IDS = ",".join(f"B0{n}" for n in range(1, 8))
STARTERS_MAX_S = 12.0  # target 3 s on an idle 2-core machine; generous for a busy CI machine

# Accepts, then closes each connection at once (a half-done server, or the starter): alive all along.
CLOSES_EVERYTHING = """
import os, socket
serveur = socket.create_server((os.environ["CHAT_HOTE"], int(os.environ["CHAT_PORT"])))
print("Serveur en attente de connexions...", flush=True)
while True:
    connexion, adresse = serveur.accept()
    connexion.close()
"""


@pytest.fixture
def rooms(tmp_path: Path) -> Iterator:
    """rooms(source, track_record): a ChatRoom on a fresh server running `source`, all closed at teardown."""
    scope = CheckScope()
    workspaces: list[Workspace] = []

    def open_room(source: str, track_record: ServerTrackRecord) -> ChatRoom:
        workspaces.append(make_workspace(tmp_path / f"serveur{len(workspaces)}", serveur_exo=source))
        return scope.track(ChatRoom.start(workspaces[-1], track_record))

    yield open_room
    scope.close()
    for workspace in workspaces:
        workspace.cleanup()


@pytest.fixture
def deadlines_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rooms that never see the server at rest, as where /proc cannot tell: only the track_record shortens a wait."""
    monkeypatch.setattr(ChatRoom, "at_rest", lambda room: False)


def _timed(action) -> float:
    """Seconds taken by action()."""
    began = time.monotonic()
    action()
    return time.monotonic() - began


def test_a_session_remembers_a_server_without_join_evidence(
    rooms, deadlines_only, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timing, "JOIN", 1.5)
    monkeypatch.setattr(timing, "JOIN_FALLBACK", 0.05)
    track_record = ServerTrackRecord()
    first = rooms(chat_server(log_joins=False), track_record)
    assert _timed(lambda: first.join("Alice")) >= timing.JOIN
    assert track_record.joins == {False: False, True: None}
    second = rooms(chat_server(log_joins=False), track_record)  # a later check of the same session
    assert _timed(lambda: second.join("Alice")) < timing.JOIN / 2
    assert _timed(lambda: second.join("Bob")) < timing.JOIN / 2  # this room had no evidence either
    assert track_record.joins == {False: False, True: None}  # a shortened wait proves nothing
    bob = second.clients[1]
    assert second.say(second.clients[0], "Bonjour !", [bob]) == {bob: "Alice : Bonjour !"}
    assert track_record.relays is True


def test_join_evidence_once_shown_keeps_the_full_deadline(rooms) -> None:
    track_record = ServerTrackRecord()
    room = rooms(chat_server(), track_record)
    room.join("Alice"), room.join("Bob")
    assert track_record.joins == {False: True, True: True}
    track_record.remember_join(True, False)  # a late one after that (a very busy machine) changes nothing
    assert track_record.join_timeout(False) == track_record.join_timeout(True) == timing.JOIN


def test_a_session_remembers_a_server_that_serves_one_client_at_a_time(
    rooms, deadlines_only, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timing, "JOIN", 1.5)
    monkeypatch.setattr(timing, "JOIN_FALLBACK", 0.05)
    one_at_a_time = chat_server().replace(
        "threading.Thread(target=servir, args=(conn, adresse), daemon=True).start()", "servir(conn, adresse)"
    )
    track_record = ServerTrackRecord()
    first = rooms(one_at_a_time, track_record)
    assert _timed(lambda: first.join("Alice")) < timing.JOIN / 2
    assert _timed(lambda: first.join("Bob")) >= timing.JOIN
    assert track_record.joins == {False: True, True: False}
    second = rooms(one_at_a_time, track_record)
    assert _timed(lambda: second.join("Alice")) < timing.JOIN / 2
    assert _timed(lambda: second.join("Bob")) < timing.JOIN / 2


def test_a_server_that_never_relays_gets_the_short_relay_deadline(
    rooms, deadlines_only, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timing, "RELAY", 1.5)
    monkeypatch.setattr(timing, "RELAY_FALLBACK", 0.05)
    track_record = ServerTrackRecord()
    first = rooms(chat_server(to_sender_only=True), track_record)
    alice, bob = first.join("Alice"), first.join("Bob")
    with pytest.raises(CheckFailure):
        first.say(alice, "Bonjour !", [bob])
    assert track_record.relays is False
    second = rooms(chat_server(to_sender_only=True), track_record)
    alice, bob = second.join("Alice"), second.join("Bob")
    began = time.monotonic()
    with pytest.raises(CheckFailure) as raised:
        second.say(alice, "Bonjour !", [bob])
    assert time.monotonic() - began < timing.RELAY / 2
    assert raised.value.summary == "Le message d'Alice n'est pas arrivé à Bob en 0,05 s."


def test_settle_proves_an_absence_without_waiting_a_deadline(rooms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "RELAY", 5.0)
    room = rooms(chat_server(), ServerTrackRecord())
    alice, bob = room.join("Alice"), room.join("Bob")
    mark = alice.mark()
    alice.send_line("/liste")  # this server ignores commands: no answer will ever come
    settled: list[bool] = []
    assert _timed(lambda: settled.append(room.settle(alice, [alice]))) < timing.RELAY / 2
    assert settled == [True]
    assert alice.lines(mark) == ["Bob : Message 2 du correcteur"]  # no answer came before the sentinel
    assert bob.lines()[-1] == "Alice : Message 1 du correcteur"


def test_settle_is_done_at_once_when_the_server_closed_the_sender(rooms) -> None:
    room = rooms(CLOSES_EVERYTHING, ServerTrackRecord())
    alice = room.connect_silent()
    assert alice.wait_closed(timing.CLOSE)
    assert room.settle(alice, [alice])


@pytest.mark.skipif(not LINUX, reason="/proc tells that the server is at rest in accept()")
def test_a_closed_connection_of_a_live_server_costs_no_drain_wait(rooms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "DRAIN", 5.0)
    room = rooms(CLOSES_EVERYTHING, ServerTrackRecord())
    alice = room.join("Alice")
    bob = room.join("Bob")
    assert alice.wait_closed(timing.CLOSE) and bob.wait_closed(timing.CLOSE)
    began = time.monotonic()
    with pytest.raises(CheckFailure) as raised:
        room.say(alice, "Bonjour !", [bob])
    assert time.monotonic() - began < timing.DRAIN / 2
    assert "arrêté" not in raised.value.summary  # alive: not told as a crash


def test_the_starters_are_graded_quickly(tmp_path: Path) -> None:
    report = tmp_path / "rapport.json"
    began = time.monotonic()
    done = run_grader(str(STARTERS), "--silencieux", "--json", str(report))
    elapsed = time.monotonic() - began
    statuses = {item["id"]: item["statut"] for item in json.loads(report.read_text(encoding="utf-8"))["verifications"]}
    assert done.returncode == 1, done.stdout + done.stderr
    assert statuses["S01"] == statuses["C01"] == "reussie"
    assert elapsed < STARTERS_MAX_S, f"{elapsed:.1f} s"


def test_a_server_without_any_bonus_is_told_in_a_moment() -> None:
    """Each command is relayed as a plain message, then sentinels prove no answer is coming; the console
    line of /kick is never read; the history file is looked for once the server is done."""
    result = grade(CORPUS / "valide_threads", "--only", BONUS_IDS)
    for check in BONUS_IDS.split(","):
        assert result.status(check) == "echouee", result.output
        assert result.check(check)["duree_s"] < timing.RELAY, (check, result.check(check)["duree_s"])
        assert result.message(check).startswith("Bonus non tenté"), result.message(check)
    if sys.platform != "win32":
        assert "ne lit pas sa console" in result.message("B06")


def test_a_server_that_never_relays_has_its_message_scenarios_ignored() -> None:
    result = grade(CORPUS / "hostile_accepte_sans_lire", "--only", "S03,S04,B04,B05")
    assert result.statuses() == {
        "S01": "reussie",
        "S03": "echouee",
        "S04": "ignoree",
        "B04": "echouee",
        "B05": "ignoree",
    }, result.output
    assert "voir S03" in result.message("S04") and "voir S03" in result.message("B05")


@pytest.mark.skipif(not LINUX, reason="/proc shows the client at rest; elsewhere the deadline is waited out")
@pytest.mark.parametrize(
    ("folder", "check", "words"),
    [
        ("client_exit_reste_vivant", "C05", "bloqué dans recv()"),  # its main thread waits for the receiving one
        ("client_sans_thread_reception", "C03", "recv()"),  # the second typed line left unread in its stdin
        ("client_sans_thread_reception", "C04", "thread de réception"),  # alone in input(): nothing can print
        ("client_tuto_jeton", "C02", "« Nom : message »"),  # input() in a thread, recv() waiting for a token
    ],
)
def test_a_client_at_rest_fails_without_waiting_out_the_deadline(folder: str, check: str, words: str) -> None:
    result = grade(CORPUS / folder, *ONLY_CLIENT)
    assert result.status(check) == "echouee" and words in result.message(check), result.output
    assert result.check(check)["duree_s"] < timing.EXIT - 1, result.check(check)["duree_s"]


def test_a_grading_process_of_a_class_loads_nothing_of_the_teacher_s_side() -> None:
    """Each submission of a class is graded in a process of its own: it imports the checks, not what only
    the runner uses (the terminal display, the archives, the exports): about 0,2 s of each of their starts."""
    teacher_side = ("rich", "grader.batch.archive", "grader.batch.runner", "grader.exports")
    probe = f"import sys; import grader.batch.child; print([m for m in {teacher_side} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
