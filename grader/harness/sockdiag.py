"""Linux: the TCP sockets of one local port, asked of the kernel (NETLINK_SOCK_DIAG) instead of read from
/proc/net/tcp, whose text holds every socket of the machine (thousands of TIME_WAIT rows after a test run).

The kernel filters by port (an inet_diag bytecode: source port == P or destination port == P) and leaves
out TIME_WAIT sockets (no queue, no owner): what comes back is the few sockets of one grading. `None`
whenever the kernel or the platform does not answer so; the caller then reads /proc/net/tcp.

A dump walks the kernel's whole table of connections (262 144 buckets on a machine of 8 GB: about 1 ms),
once per family asked. The original request (TCPDIAG_GETSOCK, still served by Linux for `ss` of old) asks
for IPv4 and IPv6 at once, in one walk: half the cost of one sock_diag request per family, which is the
way taken where it is refused. (A server listening on "::" has IPv6 sockets on its side of connections
made to 127.0.0.1.) The rest rule looks at the table at nearly every look (procfs.tcp_quiet).
"""

from __future__ import annotations

import errno
import functools
import socket
import struct
from collections.abc import Collection
from typing import NamedTuple

_NETLINK_SOCK_DIAG = 4
_TCPDIAG_GETSOCK = 18  # the original request: every family in one walk (inet_diag_req, AF_UNSPEC)
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_INET_DIAG_REQ_BYTECODE = 1
_INET_DIAG_INFO = 2  # the attribute that carries struct tcp_info, asked by the extension bit 1 << (2 - 1)
_TCP_INFO_BYTES = struct.Struct("=QQ")  # tcpi_bytes_acked, tcpi_bytes_received (Linux 4.1)...
_TCP_INFO_BYTES_AT = 120  # ...at this offset of struct tcp_info
_ATTRIBUTE = struct.Struct("=HH")  # rtattr: length, type
_BC_JMP, _BC_S_EQ, _BC_D_EQ = 1, 11, 12  # inet_diag_bc_op codes: jump, source port ==, destination port ==
_TCP_LISTEN, _TCP_TIME_WAIT = 10, 6
_ALL_BUT_TIME_WAIT = 0xFFF & ~(1 << _TCP_TIME_WAIT)
# Listening sockets only: the kernel then skips its table of connections (0,04 ms a dump instead of 2 ms
# here, measured on 2 December).
_LISTENING = 1 << _TCP_LISTEN
_EXTENSIONS = 1 << (_INET_DIAG_INFO - 1)
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_REQUEST = struct.Struct("=BBBxI")  # inet_diag_req_v2 up to its socket id: family, protocol, extensions, states
_SOCKET_ID_SIZE = 48  # inet_diag_sockid: ports, addresses, interface, cookie
_REQUEST_ALL_FAMILIES = struct.Struct(f"=BBBB{_SOCKET_ID_SIZE}xII")  # inet_diag_req: family...id, states, dbug
# inet_diag_req_v2 asking for one socket: family, protocol, extensions, states, then its id: ports (big-endian),
# addresses, interface, cookie (INET_DIAG_NOCOOKIE: any)
_LOOKUP = struct.Struct("=BBBxIHH16s16sIII")
_NO_COOKIE = 0xFFFFFFFF
# unix_diag_req asking for one socket by its inode: family, protocol, states, inode, what to show, cookie
_UNIX_LOOKUP = struct.Struct("=BBxxIIIII")
_LOOKUP_PATIENCE = 1.0  # s: the kernel answers a lookup at once; past this, the caller dumps instead
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
    acked: int | None = None  # bytes of it the peer acknowledged since the connection began (SYN included
    # on the side that connected); None where the table does not say (/proc/net/tcp, Linux before 4.1)
    received: int | None = None  # bytes that reached it, in order, since the connection began


def _port_filter(port: int) -> bytes:
    """source port == port, or destination port == port. Each operation (code, offset if true, offset if
    false; a comparison is followed by its port) jumps forward; landing exactly at the end accepts the
    socket, past it rejects it. The kernel checks that each "true" offset leads, step by step, to the
    next operation, hence the jump: S_EQ true -> JMP -> end; false -> D_EQ true -> end; false -> past it."""
    return struct.pack("=BBHHH BBH BBHHH", _BC_S_EQ, 8, 12, 0, port, _BC_JMP, 4, 12, _BC_D_EQ, 8, 12, 0, port)


def _request(family: int | None, port: int, states: int) -> bytes:
    """The dump of the sockets of `port` in these `states` (a mask) in one `family`, or in every family
    (None: the original request)."""
    if family is None:
        kind, body = _TCPDIAG_GETSOCK, _REQUEST_ALL_FAMILIES.pack(0, 0, 0, _EXTENSIONS, states, 0)
    else:
        body = _REQUEST.pack(family, socket.IPPROTO_TCP, _EXTENSIONS, states) + bytes(_SOCKET_ID_SIZE)
        kind = _SOCK_DIAG_BY_FAMILY
    bytecode = _port_filter(port)
    payload = body + struct.pack("=HH", 4 + len(bytecode), _INET_DIAG_REQ_BYTECODE) + bytecode
    return _HEADER.pack(_HEADER.size + len(payload), kind, _NLM_F_REQUEST | _NLM_F_DUMP, 1, 0) + payload


class _Refused(OSError):
    """The kernel answered the request with an error: it does not serve that kind."""


def _rows(answer: bytes) -> tuple[list[Row], bool]:
    """The rows in one datagram of the answer, and whether the answer is complete."""
    rows: list[Row] = []
    offset = 0
    while offset + _HEADER.size <= len(answer):
        length, kind, _, _, _ = _HEADER.unpack_from(answer, offset)
        if kind == _NLMSG_DONE:
            return rows, True
        if kind == _NLMSG_ERROR or length < _HEADER.size + _MESSAGE.size:
            raise _Refused("sock_diag refused the request")
        rows.append(_row(answer, offset, length))
        offset += (length + 3) & ~3
    return rows, False


def _row(answer: bytes, offset: int, length: int) -> Row:
    """The socket an inet_diag_msg at `offset` (its netlink header included, `length` bytes) describes."""
    _, state, _, _, local, remote, _, unread, sent, _, inode = _MESSAGE.unpack_from(answer, offset + _HEADER.size)
    listening = state == _TCP_LISTEN
    acked, received = _bytes(answer, offset + _HEADER.size + _MESSAGE.size, offset + length)
    return Row(
        socket.ntohs(local),
        socket.ntohs(remote),
        f"{state:02X}",
        0 if listening else sent,
        0 if listening else unread,
        str(inode),
        acked,
        received,
    )


def _bytes(answer: bytes, start: int, end: int) -> tuple[int | None, int | None]:
    """(bytes acknowledged by the peer, bytes received) from the tcp_info attribute between start and end."""
    while start + _ATTRIBUTE.size <= end:
        length, kind = _ATTRIBUTE.unpack_from(answer, start)
        if length < _ATTRIBUTE.size:
            break
        if kind == _INET_DIAG_INFO and length >= _ATTRIBUTE.size + _TCP_INFO_BYTES_AT + _TCP_INFO_BYTES.size:
            acked, received = _TCP_INFO_BYTES.unpack_from(answer, start + _ATTRIBUTE.size + _TCP_INFO_BYTES_AT)
            return acked, received
        start += (length + 3) & ~3
    return None, None


_all_families_at_once = True  # until the kernel refuses the original request


def tcp_rows(port: int, *, listening: bool = False) -> list[Row] | None:
    """The TCP sockets (IPv4 and IPv6) whose local or remote port is `port`, TIME_WAIT left out (only the
    listening ones if `listening`); None when the kernel cannot be asked (not Linux, no sock_diag, a
    refused request)."""
    global _all_families_at_once
    if not hasattr(socket, "AF_NETLINK"):
        return None
    states = _LISTENING if listening else _ALL_BUT_TIME_WAIT
    if _all_families_at_once:
        try:
            return _dump(port, [None], states)
        except _Refused:
            _all_families_at_once = False
        except (OSError, struct.error):
            return None
    try:
        return _dump(port, [socket.AF_INET, socket.AF_INET6], states)
    except (OSError, struct.error):
        return None


def _dump(port: int, families: list[int | None], states: int) -> list[Row]:
    rows: list[Row] = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as link:
        for family in families:
            link.sendall(_request(family, port, states))
            done = False
            while not done:
                found, done = _rows(link.recv(_BUFFER))
                rows.extend(found)
    return rows


def connection_rows(ends: Collection[tuple[int, int]], host: str) -> list[Row] | None:
    """The TCP sockets of these connection ends, each (local port, remote port) on the IPv4 address `host`
    (or its IPv6 form: a server listening on "::" has those), each asked of the kernel by its address, all
    in one message: no walk of the table (seven ends in 0,05 ms here, against 2 ms for a dump). An end
    that no longer exists, or in TIME_WAIT, is left out, as a dump leaves it out. None when the kernel
    cannot be asked, or does not answer at once: the caller dumps instead."""
    asked = list(ends)
    address = socket.inet_aton(host) + bytes(12)
    answers = _ask([_lookup(number, address, end) for number, end in enumerate(asked, start=1)])
    if answers is None:
        return None
    if any(message is not None and message[2] < _HEADER.size + _MESSAGE.size for message in answers.values()):
        return None  # not the description of a TCP socket
    found = []
    for number, (local, remote) in enumerate(asked, start=1):
        message = answers[number]
        row = _row(*message) if message is not None else None
        # A connection the kernel does not have comes back as the socket listening on its port: left out.
        if row is not None and (row.local, row.remote) == (local, remote) and row.state != f"{_TCP_TIME_WAIT:02X}":
            found.append(row)
    return found


def unix_sockets(inodes: Collection[str]) -> set[str] | None:
    """Those of these socket inodes that are Unix sockets (a socket pair, asyncio's wake-up): no TCP byte
    goes through them. None when the kernel cannot be asked."""
    asked = list(inodes)
    requests = [
        _message(number, _UNIX_LOOKUP.pack(socket.AF_UNIX, 0, 0xFFFFFFFF, int(inode), 0, _NO_COOKIE, _NO_COOKIE))
        for number, inode in enumerate(asked, start=1)
    ]
    answers = _ask(requests)
    if answers is None:
        return None
    return {inode for number, inode in enumerate(asked, start=1) if answers[number] is not None}


_Message = tuple[bytes, int, int]  # a datagram, the offset of one message in it, its length


def _ask(requests: list[bytes]) -> dict[int, _Message | None] | None:
    """Send these requests for one socket each (numbered from 1) in one message; the answers by number:
    where the socket's description is, or None when the kernel has no such socket. None when the kernel
    cannot be asked, refuses, or does not answer at once."""
    if not hasattr(socket, "AF_NETLINK"):
        return None
    answers: dict[int, _Message | None] = {}
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as link:
            link.settimeout(_LOOKUP_PATIENCE)
            link.sendall(b"".join(requests))
            while len(answers) < len(requests):
                _answers(link.recv(_BUFFER), answers)
    except (OSError, struct.error, ValueError):
        return None
    return answers


def _lookup(number: int, address: bytes, end: tuple[int, int]) -> bytes:
    local, remote = end
    return _message(
        number,
        _LOOKUP.pack(
            socket.AF_INET,
            socket.IPPROTO_TCP,
            _EXTENSIONS,
            _ALL_BUT_TIME_WAIT,
            socket.htons(local),
            socket.htons(remote),
            address,
            address,
            0,
            _NO_COOKIE,
            _NO_COOKIE,
        ),
    )


def _message(number: int, body: bytes) -> bytes:
    return _HEADER.pack(_HEADER.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, number, 0) + body


def _answers(answer: bytes, answers: dict[int, _Message | None]) -> None:
    """Each answer in one datagram, by the number of its request: where the socket's description is, or
    None when the kernel has no such socket. Any other error raises: the caller dumps instead."""
    offset = 0
    while offset + _HEADER.size <= len(answer):
        length, kind, _, number, _ = _HEADER.unpack_from(answer, offset)
        if kind == _NLMSG_ERROR:
            (error,) = struct.unpack_from("=i", answer, offset + _HEADER.size)
            if error != -errno.ENOENT:
                raise _Refused(f"sock_diag refused a lookup ({error})")
            answers[number] = None
        else:
            answers[number] = (answer, offset, length)
        offset += (length + 3) & ~3


@functools.cache
def handshake_counted() -> tuple[int, int] | None:
    """What the kernel counts of the handshake in `acked`: (on the end that connected, on the end that
    accepted), seen once on a connection of our own before any byte (Linux counts the SYN of the end that
    connected); None where the table does not tell the bytes."""
    try:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            with socket.create_connection(("127.0.0.1", port)) as opener:
                accepted, _ = listener.accept()
                with accepted:
                    rows = tcp_rows(port) or []
                    opener_port = opener.getsockname()[1]
    except OSError:
        return None
    counted = {row.remote == port: row.acked for row in rows if row.remote in (port, opener_port)}
    if counted.get(True) is None or counted.get(False) is None:
        return None
    return counted[True], counted[False]  # type: ignore[return-value]
