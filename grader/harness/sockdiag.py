"""Linux: the TCP sockets of one local port, asked of the kernel (NETLINK_SOCK_DIAG) instead of read from
/proc/net/tcp, whose text holds every socket of the machine (thousands of TIME_WAIT rows after a test run).

The kernel filters by port (an inet_diag bytecode: source port == P or destination port == P) and leaves
out TIME_WAIT sockets (no queue, no owner): what comes back is the few sockets of one grading. `None`
whenever the kernel or the platform does not answer so; the caller then reads /proc/net/tcp.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_INET_DIAG_REQ_BYTECODE = 1
_BC_JMP, _BC_S_EQ, _BC_D_EQ = 1, 11, 12  # inet_diag_bc_op codes: jump, source port ==, destination port ==
_TCP_LISTEN, _TCP_TIME_WAIT = 10, 6
_ALL_BUT_TIME_WAIT = 0xFFF & ~(1 << _TCP_TIME_WAIT)
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_REQUEST = struct.Struct("=BBBxI")  # inet_diag_req_v2 up to its socket id: family, protocol, extensions, states
_SOCKET_ID_SIZE = 48  # inet_diag_sockid: ports, addresses, interface, cookie
_MESSAGE = struct.Struct("=BBBB2H44xIIIII")  # inet_diag_msg: family, state, timer, retrans, ports (big-endian)...
_BUFFER = 65536


class Row(NamedTuple):
    """A socket as /proc/net/tcp shows it."""

    local: int  # port
    remote: int  # port, 0 for a listening socket
    state: str  # in hexadecimal, "0A" for a listening socket
    sent: int  # bytes sent and not acknowledged yet (0 for a listening socket)
    unread: int  # bytes received and not read yet (0 for a listening socket: /proc shows its backlog)
    inode: str


def _port_filter(port: int) -> bytes:
    """source port == port, or destination port == port. Each operation (code, offset if true, offset if
    false; a comparison is followed by its port) jumps forward; landing exactly at the end accepts the
    socket, past it rejects it. The kernel checks that each "true" offset leads, step by step, to the
    next operation, hence the jump: S_EQ true -> JMP -> end; false -> D_EQ true -> end; false -> past it."""
    return struct.pack("=BBHHH BBH BBHHH", _BC_S_EQ, 8, 12, 0, port, _BC_JMP, 4, 12, _BC_D_EQ, 8, 12, 0, port)


def _request(family: int, port: int) -> bytes:
    bytecode = _port_filter(port)
    body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, _ALL_BUT_TIME_WAIT) + bytes(_SOCKET_ID_SIZE)
    attribute = struct.pack("=HH", 4 + len(bytecode), _INET_DIAG_REQ_BYTECODE) + bytecode
    payload = body + attribute
    return _HEADER.pack(_HEADER.size + len(payload), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST | _NLM_F_DUMP, 1, 0) + payload


def _rows(answer: bytes) -> tuple[list[Row], bool]:
    """The rows in one datagram of the answer, and whether the answer is complete."""
    rows: list[Row] = []
    offset = 0
    while offset + _HEADER.size <= len(answer):
        length, kind, _, _, _ = _HEADER.unpack_from(answer, offset)
        if kind == _NLMSG_DONE:
            return rows, True
        if kind == _NLMSG_ERROR or length < _HEADER.size + _MESSAGE.size:
            raise OSError("sock_diag refused the request")
        _, state, _, _, local, remote, _, unread, sent, _, inode = _MESSAGE.unpack_from(answer, offset + _HEADER.size)
        listening = state == _TCP_LISTEN
        rows.append(
            Row(
                socket.ntohs(local),
                socket.ntohs(remote),
                f"{state:02X}",
                0 if listening else sent,
                0 if listening else unread,
                str(inode),
            )
        )
        offset += (length + 3) & ~3
    return rows, False


def tcp_rows(port: int) -> list[Row] | None:
    """The TCP sockets (IPv4 and IPv6) whose local or remote port is `port`, TIME_WAIT left out; None
    when the kernel cannot be asked (not Linux, no sock_diag, a refused request)."""
    if not hasattr(socket, "AF_NETLINK"):
        return None
    rows: list[Row] = []
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as link:
            for family in (socket.AF_INET, socket.AF_INET6):
                link.sendall(_request(family, port))
                done = False
                while not done:
                    found, done = _rows(link.recv(_BUFFER))
                    rows.extend(found)
    except (OSError, struct.error):
        return None
    return rows
