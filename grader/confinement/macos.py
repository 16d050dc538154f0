"""macOS: the sandbox-exec profile a student program runs under (Seatbelt; deprecated by Apple but
still shipped and used by Apple's own tools). Writes only in the run's folder, network only to and
from this machine, signals only to processes of the same sandbox."""

from __future__ import annotations

import os

SANDBOX_EXEC = "/usr/bin/sandbox-exec"
LAYER = "sandbox-exec : écriture limitée à la copie de travail, réseau local seulement, signaux à ses propres processus"


def _quoted(path: str) -> str:
    real = os.path.realpath(path)  # /var/folders/... is /private/var/folders/... for the sandbox
    return '"' + real.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile(writable: list[str]) -> str:
    """The SBPL profile text."""
    places = " ".join(f"(subpath {_quoted(path)})" for path in writable)
    return "\n".join(
        [
            "(version 1)",
            "(allow default)",
            "(deny file-write*)",
            f'(allow file-write* {places} (literal "/dev/null"))',
            "(deny network*)",
            '(allow network-outbound (remote ip "localhost:*"))',
            "(allow network-inbound)",
            "(allow network-bind)",
            "(allow network* (remote unix-socket))",
            "(deny signal)",
            "(allow signal (target same-sandbox))",
            "",
        ]
    )


def available() -> bool:
    return os.access(SANDBOX_EXEC, os.X_OK)
