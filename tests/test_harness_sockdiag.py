"""sock_diag answers for one port what /proc/net/tcp shows of it: the cheap read gives the same rows."""

from __future__ import annotations

import socket

import pytest

from grader.harness import procfs, sockdiag
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
                assert other.getsockname()[1] not in {row.local for row in rows}
                assert procfs.listener_is_among(port, []) is False  # a listener, not one of these processes
