"""The port each student server is given (CHAT_PORT).

A port is only free when it is handed out: another grading running at the same time may be handed the
same one before the student's server binds it. Under Linux the grader sees whose server listens on a port
(/proc); elsewhere nothing tells, and a server that never binds its port (one written in the code, say)
would be graded through a classmate's server answering there. So:

- ports are drawn at random from SERVER_PORTS, a range that no system hands out to outgoing connections
  (Linux: 32768-60999, Windows and macOS: 49152-65535), so a port freed a moment ago is not handed out again
  the next instant, as the system's own choice (bind to port 0) may;
- a class grading gives each of the gradings it runs at the same time a block of its own (`blocks`,
  `use_block`): no two of them ever draw the same port.

A drawn port is checked by binding it without SO_REUSEADDR, as a student's server does: one that is in use,
or still held by a closed connection (TIME_WAIT), is not handed out.
"""

from __future__ import annotations

import random
import socket

from .exercise import HOST

SERVER_PORTS = range(20000, 32768)
DRAWS = 50  # ports tried in the block before the system chooses one (a block nearly all taken)
_block = SERVER_PORTS


def blocks(count: int) -> list[range]:
    """SERVER_PORTS cut into `count` blocks that do not overlap."""
    size = len(SERVER_PORTS) // count
    return [range(SERVER_PORTS.start + i * size, SERVER_PORTS.start + (i + 1) * size) for i in range(count)]


def use_block(ports: range) -> None:
    """Draw every port of this process from `ports` (a block given by the class grading)."""
    global _block
    _block = ports


def free_port() -> int:
    for _ in range(DRAWS):
        port = random.choice(_block)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:  # in use, held by a closed connection, or reserved by the system
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
