"""The reference server (solution/serveur_exo.py), tested for real: a subprocess on a free port, clients
over TCP sockets (the harness's line connections, or raw sockets where the bytes matter)."""

from __future__ import annotations

import os
import re
import signal
import socket
from collections.abc import Iterator

import pytest

from grader.harness import procfs, timing
from grader.harness.connection import ScriptedClient
from grader.harness.output import TAIL_BYTES
from grader.harness.room import ChatRoom
from grader.harness.waiting import SeenTwice, wait_probing
from grader.harness.workspace import Workspace

TIME_PREFIX = r"\[\d\d:\d\d\] "
FLOOD_LINE = "x" * 1000
# Lines sent at once while a client stops reading: few enough that the console lines printed about it
# stay in the tail that the harness keeps of the console.
FLOOD_BATCH = TAIL_BYTES // (2 * len(FLOOD_LINE))
FLOOD_MAX_LINES = 12_000  # 12 MB: the reference must have dropped the slow reader well before
FLOOD_DEADLINE = 3 * timing.RELAY  # a batch is heavy work for a shared 2-core machine


@pytest.fixture
def room(reference: Workspace) -> Iterator[ChatRoom]:
    chat = ChatRoom.start(reference)
    yield chat
    chat.close()


def relayed(name: str, message: str) -> re.Pattern[str]:
    """The reference's relayed line: "[HH:MM] Nom : message", exactly."""
    return re.compile(TIME_PREFIX + re.escape(f"{name} : {message}"))


def has_line(pattern: re.Pattern[str]):
    return lambda line: pattern.fullmatch(line) is not None


def console_count(room: ChatRoom, text: str) -> int:
    return sum(1 for line in room.console.lines() if line == text)


def expect_console(room: ChatRoom, text: str, since: int = 0) -> None:
    """The server's console shows exactly this line (after line number `since`)."""
    found = room.console.wait_line(lambda line: line == text, timing.RELAY, since)
    assert found is not None, f"{text!r} not on the console"


def expect_closed_by_server(client: ScriptedClient) -> None:
    assert client.wait_closed(timing.EXIT), f"{client.label} still connected: {client.lines()}"


def three(room: ChatRoom) -> tuple[ScriptedClient, ScriptedClient, ScriptedClient]:
    return room.join("Alice"), room.join("Bob"), room.join("Charlie")


def test_listening_message_and_join_line(room: ChatRoom) -> None:
    room.join("Alice")
    expect_console(room, "Alice (127.0.0.1) a rejoint le chat.")
    assert room.console.lines()[:2] == [
        "Serveur en attente de connexions...",
        "Alice (127.0.0.1) a rejoint le chat.",
    ]


def test_message_reaches_every_other_client_with_the_name(room: ChatRoom) -> None:
    alice, bob, charlie = three(room)
    received = room.say(alice, "Bonjour !", [bob, charlie])
    for line in received.values():
        assert relayed("Alice", "Bonjour !").fullmatch(line), line
    expect_console(room, received[bob])
    room.prove_absent(bob, "Salut Alice !", [alice, charlie], lambda line: "Bonjour" in line, [alice])


@pytest.mark.parametrize(
    "name, message", [("Zoé", "Ça va très bien, à l'école !"), ("Émoji", "😀🎉 fête"), ("李雷", "你好，世界")]
)
def test_utf8_names_and_messages(room: ChatRoom, name: str, message: str) -> None:
    sender, reader = room.join(name), room.join("Bob")
    line = room.say(sender, message, [reader])[reader]
    assert relayed(name, message).fullmatch(line), line
    assert reader.raw_lines()[-1].decode("utf-8") == line


def test_two_lines_in_one_segment(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    mark = bob.mark()
    alice.send_raw("première\nseconde\n".encode("utf-8"))
    bob.expect(has_line(relayed("Alice", "seconde")), timing.RELAY, expected="seconde", since=mark)
    from_alice = [line.split("] ", 1)[1] for line in bob.lines(mark) if " Alice : " in line]
    assert from_alice == ["Alice : première", "Alice : seconde"]


def test_utf8_character_split_across_segments(room: ChatRoom) -> None:
    alice, bob, charlie = three(room)
    data = "Zoé 😀 fin\n".encode("utf-8")
    cuts = [3, data.index("😀".encode("utf-8")) + 2, len(data)]  # inside "é", then inside the emoji
    start = 0
    for number, cut in enumerate(cuts):
        alice.send_raw(data[start:cut])
        start = cut
        # a round trip through the server between two pieces: each piece is read on its own
        room.say(charlie, f"synchro {number}", [bob])
    bob.expect(has_line(relayed("Alice", "Zoé 😀 fin")), timing.RELAY, expected="Alice : Zoé 😀 fin")
    assert not any("\ufffd" in line for line in bob.lines())


def test_carriage_return_and_invalid_utf8_are_tolerated(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    alice.send_raw(b"windows\r\n")
    bob.expect(has_line(relayed("Alice", "windows")), timing.RELAY, expected="Alice : windows")
    alice.send_raw(b"octet \xff invalide\n")
    bob.expect(has_line(relayed("Alice", "octet \ufffd invalide")), timing.RELAY, expected="octet � invalide")
    room.say(alice, "toujours là", [bob])


@pytest.mark.parametrize("leave", ["close", "reset"])
def test_departure_by_fin_or_reset(room: ChatRoom, leave: str) -> None:
    alice, bob, charlie = three(room)
    getattr(bob, leave)()
    expect_console(room, "Bob a quitté le chat.")
    alice.expect(lambda line: line == "* Bob a quitté le chat.", timing.RELAY, expected="départ de Bob")
    room.say(alice, "on continue", [charlie])
    assert console_count(room, "Bob a quitté le chat.") == 1


@pytest.mark.parametrize("command", ["/quitter", "/exit", "exit", "  /quitter  "])
def test_quit_commands_are_a_departure(room: ChatRoom, command: str) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    bob.send_line(command)
    expect_closed_by_server(bob)
    expect_console(room, "Bob a quitté le chat.")
    room.prove_absent(alice, "encore là ?", [], lambda line: command.strip() in line, [room.console])
    assert console_count(room, "Bob a quitté le chat.") == 1
    assert not any(f"Bob : {command.strip()}" in line for line in alice.lines())


def test_a_message_starting_with_exit_is_relayed(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    room.say(alice, "exit est le mot pour partir", [bob])


@pytest.mark.parametrize("first_bytes", [b"", b"\n", b"   \r\n"])
def test_connection_without_a_name_is_closed_silently(room: ChatRoom, first_bytes: bytes) -> None:
    nameless = room.server.take_ready_socket() or socket.create_connection((room.server.host, room.server.port))
    with nameless:
        nameless.settimeout(timing.EXIT)
        nameless.sendall(first_bytes)
        nameless.shutdown(socket.SHUT_WR)
        assert nameless.recv(100) == b""  # the server closed its side too, having said nothing
    alice = room.join("Alice")
    # Alice's welcome (her join's evidence) may reach her before her thread prints her arrival: Bob comes after.
    expect_console(room, "Alice (127.0.0.1) a rejoint le chat.")
    bob = room.join("Bob")
    room.say(alice, "bonjour", [bob])
    # The server's console is read by a thread of ours that a loaded machine may leave behind the sockets.
    expect_console(room, "Bob (127.0.0.1) a rejoint le chat.")
    assert [line for line in room.console.lines() if "rejoint" in line or "quitté" in line] == [
        "Alice (127.0.0.1) a rejoint le chat.",
        "Bob (127.0.0.1) a rejoint le chat.",
    ]


def test_twenty_clients_at_once(room: ChatRoom) -> None:
    clients = [room.join(f"Client{number:02d}") for number in range(20)]
    for sender in clients:
        others = [client for client in clients if client is not sender]
        for line in room.say(sender, f"bonjour de {sender.name}", others).values():
            assert relayed(sender.name, f"bonjour de {sender.name}").fullmatch(line), line


def test_client_that_stops_reading_is_dropped_and_the_room_keeps_going(room: ChatRoom) -> None:
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    with slow:
        slow.settimeout(timing.CONNECT)
        slow.connect((room.server.host, room.server.port))
        slow.sendall(b"Lent\n")
        expect_console(room, "Lent (127.0.0.1) a rejoint le chat.")
        alice = room.join("Alice")
        for first in range(0, FLOOD_MAX_LINES, FLOOD_BATCH):
            if "Lent" not in _flood(alice, first):
                break
        expect_console(room, "Lent ne lit plus ses messages : il est déconnecté.")
        expect_console(room, "Lent a quitté le chat.")
        bob = room.join("Bob")
        room.say(alice, "la salle tourne encore", [bob])
        assert _read_until_closed(slow), "the slow reader's connection was not closed"


def _flood(alice: ScriptedClient, first: int) -> str:
    """Alice sends FLOOD_BATCH long lines at once, then asks for the list of connected users; the
    answer (which proves that the server went through the batch and still serves Alice) is returned."""
    mark = alice.mark()
    lines = "".join(f"n{number} {FLOOD_LINE}\n" for number in range(first, first + FLOOD_BATCH))
    alice.send_raw(lines.encode())
    alice.send_line("/liste")
    return alice.expect(lambda line: line.startswith("Connectés"), FLOOD_DEADLINE, expected="liste", since=mark)


def _read_until_closed(sock: socket.socket) -> bool:
    """Read (and drop) what the server had queued; True once the connection is closed or reset."""
    sock.settimeout(timing.EXIT)
    try:
        while sock.recv(1 << 20):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


# -- bonuses ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["/liste", "/list"])
def test_list_goes_to_the_requester_only(room: ChatRoom, command: str) -> None:
    alice, bob, charlie = three(room)
    mark = alice.mark()
    alice.send_line(command)
    alice.expect(
        lambda line: line == "Connectés (3) : Alice, Bob, Charlie",
        timing.RELAY,
        expected="la liste des connectés",
        since=mark,
    )
    room.prove_absent(
        alice, "fin", [bob, charlie], lambda line: "Connectés" in line or "Alice : /" in line, [bob, charlie]
    )


def test_every_relayed_line_is_timestamped(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    line = room.say(alice, "quelle heure ?", [bob])[bob]
    hours, minutes = int(line[1:3]), int(line[4:6])
    assert re.fullmatch(TIME_PREFIX + "Alice : quelle heure \\?", line) and hours < 24 and minutes < 60


@pytest.mark.parametrize("command", ["/privé", "/prive"])
def test_private_message_reaches_only_its_recipient(room: ChatRoom, command: str) -> None:
    alice, bob, charlie = three(room)
    mark = bob.mark()
    alice.send_line(f"{command} Bob un secret")
    line = bob.expect(lambda text: "secret" in text, timing.RELAY, expected="le message privé", since=mark)
    assert re.fullmatch(TIME_PREFIX + r"\(privé\) Alice : un secret", line), line
    room.prove_absent(alice, "public", [bob, charlie], lambda text: "secret" in text, [alice, charlie])
    assert room.console.wait_line(lambda text: "(privé) Alice -> Bob : un secret" in text, timing.RELAY)


def test_private_message_to_an_unknown_name(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    alice.send_line("/privé Zorro tu es là ?")
    alice.expect(
        lambda line: line.startswith("Utilisateur inconnu : Zorro."), timing.RELAY, expected="une erreur pour Alice"
    )
    room.prove_absent(alice, "après", [bob], lambda line: "Zorro" in line, [bob])


def test_history_file_is_written_as_messages_are_relayed(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    first = room.say(alice, "première ligne", [bob])[bob]
    second = room.say(bob, "deuxième, avec accent", [alice])[alice]
    alice.send_line("/privé Bob chut")
    bob.expect(lambda line: "chut" in line, timing.RELAY, expected="le message privé")
    history = room.server.process.workdir / "historique.txt"
    assert history.read_text(encoding="utf-8").splitlines() == [first, second]


def test_kick_from_the_console(room: ChatRoom) -> None:
    alice, bob, charlie = three(room)
    room.console_command("/kick Bob")
    bob.expect(
        lambda line: line == "Vous avez été expulsé du chat par le serveur.",
        timing.RELAY,
        expected="l'avis d'expulsion",
    )
    expect_closed_by_server(bob)
    for other in (alice, charlie):
        other.expect(lambda line: line == "* Bob a été expulsé du chat.", timing.RELAY, expected="avis")
    expect_console(room, "Bob a quitté le chat.")
    room.say(alice, "sans Bob", [charlie])


def test_console_unknown_name_and_command(room: ChatRoom) -> None:
    alice = room.join("Alice")
    room.console_command("/kick Zorro")
    expect_console(room, "Personne ne s'appelle Zorro.")
    room.console_command("/aide")
    expect_console(room, "Commande inconnue. Commande possible : /kick NOM")
    room.prove_absent(alice, "encore connectée", [], lambda line: "quitté" in line, [room.console])


def test_console_end_of_file_keeps_the_server_running(room: ChatRoom) -> None:
    room.server.process.close_stdin()
    alice, bob = room.join("Alice"), room.join("Bob")
    room.say(alice, "le serveur tourne", [bob])
    assert room.server.process.poll() is None


def test_name_in_use_is_refused(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    impostor = room.join("Alice")
    impostor.expect(
        lambda line: line == "Le nom Alice est déjà utilisé. Reconnectez-vous avec un autre nom.",
        timing.RELAY,
        expected="le refus du nom",
    )
    expect_closed_by_server(impostor)
    room.say(alice, "je suis la vraie", [bob])
    assert console_count(room, "Alice (127.0.0.1) a rejoint le chat.") == 1
    assert console_count(room, "Alice a quitté le chat.") == 0


def test_refused_newcomer_never_speaks(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    impostor = room.connect_silent()
    impostor.send_raw(b"Bob\nje suis Bob\n")
    expect_closed_by_server(impostor)
    room.prove_absent(bob, "le vrai Bob", [alice], lambda line: "je suis Bob" in line, [alice, room.console])


def test_unknown_command_is_answered_not_relayed(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    alice.send_line("/danse")
    alice.expect(lambda line: line.startswith("Commande inconnue : /danse."), timing.RELAY, expected="erreur")
    room.prove_absent(alice, "après", [bob], lambda line: "danse" in line, [bob])


@pytest.mark.skipif(os.name == "nt", reason="SIGINT cannot be sent to one process on Windows")
def test_ctrl_c_closes_every_connection(room: ChatRoom) -> None:
    alice, bob = room.join("Alice"), room.join("Bob")
    os.kill(room.server.process.pid, signal.SIGINT)
    assert room.server.process.wait_exit(timing.EXIT) == 0
    expect_closed_by_server(alice)
    expect_closed_by_server(bob)
    assert room.console.wait_line(lambda line: line.startswith("Serveur arrêté (2 connexion"), timing.DRAIN)
    assert not room.server.process.has_traceback(), room.server.process.stderr.text()


@pytest.mark.skipif(not procfs.available(), reason="only Linux's /proc tells what each thread waits for")
def test_at_rest_every_thread_waits_without_a_deadline(room: ChatRoom) -> None:
    """Between two messages, nothing in the reference can act by itself (the accept loop, each client's
    reader and writer, the console): the grader may conclude early that nothing more will come."""
    alice, bob = room.join("Alice"), room.join("Bob")
    room.say(alice, "bonjour", [bob])
    resting = SeenTwice(room.at_rest)
    assert wait_probing(resting, timing.RELAY, [room.server.process], timing.ALIVE_PROBE)
