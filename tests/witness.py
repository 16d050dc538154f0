"""A witness port: an attacker's survivor calls it (UDP) again and again while it lives.

`Witness()` binds a UDP port on 127.0.0.1 and notes, in a thread, when each call came; `calls_after(t)`
are the calls made after the moment t (time.monotonic()): none, once the grading has ended, means nothing
the attacker started was still alive.
"""

from __future__ import annotations

import socket
import threading
import time


class Witness:
    def __init__(self) -> None:
        self.calls: list[float] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self._socket.recv(100)
            except OSError:
                continue
            self.calls.append(time.monotonic())

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()

    def calls_after(self, moment: float) -> list[float]:
        return [call for call in self.calls if call > moment]
