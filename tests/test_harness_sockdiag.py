"""sock_diag answers for one port what /proc/net/tcp shows of it: the cheap read gives the same rows."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys

import pytest

from grader.checks.serveur import FILL_LENGTH, FILL_LINES
from grader.harness import procfs, sockdiag
from grader.harness.connection import ScriptedClient
from grader.harness.procfs import LISTEN_STATE


def _by_inode(rows: list[sockdiag.Row]) -> dict[str, tuple[int, int, str]]:
    return {row.inode: (row.local, row.remote, row.state) for row in rows}


@pytest.mark.skipif(
    sockdiag.tcp_rows(1) is None or not procfs.available(),
    reason="sock_diag (netlink) et /proc/net/tcp : Linux seulement",
)
def test_the_rows_of_a_port_are_those_of_the_whole_table() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, socket.create_server(("127.0.0.1", 0)) as other:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"pas encore lu")
                rows = sockdiag.tcp_rows(port)
                assert rows is not None
                whole = [row for row in procfs._tcp_rows() if port in (row.local, row.remote)]
                assert _by_inode(rows) == _by_inode(whole)
                assert len(rows) == 3  # the listener, both ends of the connection
                assert [row.state for row in rows if row.remote == 0] == [LISTEN_STATE]
                listening = [row for row in rows if row.state == LISTEN_STATE]
                assert sockdiag.tcp_rows(port, listening=True) == listening  # the connections not even walked
                assert other.getsockname()[1] not in {row.local for row in rows}
                assert procfs.listener_is_among(port, []) is False  # a listener, not one of these processes


@pytest.mark.skipif(
    sockdiag.tcp_rows(1) is None or not procfs.available(),
    reason="sock_diag (netlink) et /proc/net/tcp : Linux seulement",
)
def test_a_narrow_client_that_reads_nothing_holds_the_servers_writes_soon() -> None:
    """S08 holds a server in a send to a narrow client that reads nothing: the way to it fills long before
    the lines Alice sends (FILL_LINES of FILL_LENGTH), and the table shows the bytes that wait for it."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        client = ScriptedClient.connect("127.0.0.1", port, "Eve", narrow=True, send_name=False)
        accepted, _ = server.accept()
        with accepted:
            client.arm_reset()  # reads nothing more
            accepted.setblocking(False)
            written = 0
            with contextlib.suppress(BlockingIOError):
                while written < FILL_LINES * FILL_LENGTH:
                    written += accepted.send(b"x" * FILL_LENGTH)
            assert written < FILL_LINES * FILL_LENGTH / 2, written
            assert procfs.unsent(port, client.local_port), procfs._tcp_rows(port)
            client.reset()


@pytest.mark.skipif(sockdiag.tcp_rows(1) is None, reason="sock_diag (netlink) : Linux seulement")
@pytest.mark.parametrize("family, address", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::")])
def test_one_walk_for_both_families_finds_what_one_request_per_family_finds(
    monkeypatch: pytest.MonkeyPatch, family: socket.AddressFamily, address: str
) -> None:
    """The original request (every family at once) and, where the kernel refuses it, one sock_diag request
    per family: the same rows, for a server on 127.0.0.1 and for one on "::" (IPv6 on its side of a
    connection made to 127.0.0.1, IPv4 on the client's)."""
    try:
        server = socket.create_server((address, 0), family=family, dualstack_ipv6=family == socket.AF_INET6)
    except (OSError, ValueError):
        pytest.skip("pas d'IPv6 double pile sur cette machine")
    with server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"pas encore lu")
                peer = client.getsockname()[1]
                one_walk, listening = sockdiag.tcp_rows(port), sockdiag.tcp_rows(port, listening=True)
                monkeypatch.setattr(sockdiag, "_TCPDIAG_GETSOCK", 0x7FFF)  # a kind no kernel serves
                monkeypatch.setattr(sockdiag, "_all_families_at_once", True)
                per_family = sockdiag.tcp_rows(port)
                assert sockdiag._all_families_at_once is False  # refused once, not asked again
                assert sockdiag.tcp_rows(port, listening=True) == listening
    assert one_walk is not None and per_family is not None and listening is not None
    assert sorted(one_walk) == sorted(per_family)
    assert [(row.local, row.remote) for row in listening] == [(port, 0)]
    assert {(row.local, row.remote) for row in one_walk} == {(port, 0), (port, peer), (peer, port)}
    assert [row.unread for row in one_walk if row.local == port and row.remote] == [len(b"pas encore lu")]


@pytest.mark.skipif(sockdiag.tcp_rows(1) is None, reason="sock_diag (netlink) : Linux seulement")
@pytest.mark.parametrize("family, address", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::")])
def test_connections_asked_one_by_one_are_those_a_dump_shows(family: socket.AddressFamily, address: str) -> None:
    """Both ends of each connection, asked by address (no walk of the table): the rows a dump of the port
    shows but its listener, with their queues; an end the kernel no longer has is left out (it answers
    such an address with the socket listening on its port)."""
    try:
        server = socket.create_server((address, 0), family=family, dualstack_ipv6=family == socket.AF_INET6)
    except (OSError, ValueError):
        pytest.skip("pas d'IPv6 double pile sur cette machine")
    with server, contextlib.ExitStack() as stack:
        port = server.getsockname()[1]
        clients = [stack.enter_context(socket.create_connection(("127.0.0.1", port))) for _ in range(3)]
        accepted = [stack.enter_context(server.accept()[0]) for _ in clients]
        accepted[0].sendall(b"pas encore lu")
        ends = [(c.getsockname()[1], port) for c in clients]
        asked = [end for local, remote in ends for end in ((local, remote), (remote, local))]
        rows = sockdiag.connection_rows([*asked, (port, 1)], "127.0.0.1")
        dump = sockdiag.tcp_rows(port)
        assert rows is not None and dump is not None
        assert sorted(rows) == sorted(row for row in dump if row.state != LISTEN_STATE)
        assert max(row.unread for row in rows) == len(b"pas encore lu")


# A program holding a listener and one connection to it (both ends), and maybe a socket pair (Unix) or a
# TCP socket of its own.
HOLDER = """
import socket, sys
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname())
accepted, _ = server.accept()
pair = socket.socketpair() if sys.argv[1] == "paire" else None
own = socket.create_server(("127.0.0.1", 0)) if sys.argv[1] == "tcp" else None
print(server.getsockname()[1], client.getsockname()[1], flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(
    sockdiag.tcp_rows(1) is None or not procfs.available(),
    reason="sock_diag (netlink) et /proc : Linux seulement",
)
@pytest.mark.parametrize("extra", ["rien", "paire", "tcp"])
def test_connections_are_asked_one_by_one_only_when_the_program_holds_no_other_socket(extra: str) -> None:
    """tcp_quiet may skip the walk of the whole table only when the program's sockets are all among the
    listener and the ends the grader knows, or Unix sockets (a pair, as asyncio's loop holds): a TCP
    socket of its own may be a connection on the port that no one told the grader about."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        port, local = (int(number) for number in holder.stdout.readline().split())
        rows = procfs._known_rows(port, [(local, port)], [holder.pid])
        if extra == "tcp":
            assert rows is None
        else:
            assert rows is not None
            assert sorted(rows) == sorted(sockdiag.tcp_rows(port) or [])
        assert procfs._known_rows(port, [], [holder.pid]) is None  # a connection the grader did not name
        assert procfs._known_rows(port, [(local, port)], []) is None  # no program to list: nothing proven
    finally:
        holder.kill()
        holder.wait()
