"""A program's stdout or stderr, read continuously in the background with bounded memory."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import IO

from . import procfs
from .lines import LineSplitter, decode_line
from .waiting import LineSource, wait_for

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 64 * 1024
HEAD_LINES = 1000
TAIL_LINES = 1000
BLOCK_LINES = 100  # lines kept of the last block (traceback) that starts with a marker
THREADS_KEPT = 4  # complete blocks kept, the last one of each thread
READ_SIZE = 64 * 1024


class OutputStream(LineSource):
    """Keeps the first lines (head) and the last ones (tail) of what a pipe carries.

    Lines are numbered from 0 in the order they were completed; `mark()` is the number of the next one.
    Lines between the head and the tail are dropped and counted. When markers are given, the last block
    of lines starting with one of them (a traceback) is kept apart, so a flood cannot hide it.
    """

    def __init__(self, name: str, pipe: IO[bytes] | None = None, *, block_markers: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.name = name
        self.total_bytes = 0
        self._lock = threading.Lock()
        self._splitter = LineSplitter()
        self._completed = 0
        self._head: list[str] = []
        self._head_bytes = 0
        self._tail: deque[tuple[int, str, int]] = deque()  # (line number, text, raw size)
        self._tail_bytes = 0
        self._omitted_bytes = 0
        self._eof = False
        self._markers = block_markers
        self._raw_markers = tuple(marker.encode("utf-8") for marker in block_markers)
        self._block: deque[str] = deque(maxlen=BLOCK_LINES)
        self._block_open = False
        self._block_indented = False
        self._complete: dict[str, list[str]] = {}  # the last complete block of each thread, oldest first
        self.blocks_seen = 0
        self._thread: threading.Thread | None = None
        if pipe is not None:
            self._thread = threading.Thread(target=self._read, args=(pipe,), name=f"harness-{name}", daemon=True)
            self._thread.start()

    # -- feeding -------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Take bytes as if the pipe had carried them (the reader thread calls this)."""
        if not data:
            return
        with self._lock:
            self.total_bytes += len(data)
            raws = self._splitter.feed(data)
            if raws:
                self._store(raws, data)
        self._notify_observers()

    def finish(self) -> None:
        """End of file: no more bytes will come."""
        with self._lock:
            self._eof = True
        self._notify_observers()

    def join(self, timeout: float) -> bool:
        """Wait for the reader thread to end (after end of file); True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _read(self, pipe: IO[bytes]) -> None:
        try:
            while True:
                try:
                    data = pipe.read(READ_SIZE)
                except (OSError, ValueError):
                    break
                if not data:
                    break
                self.feed(data)
        finally:
            try:
                pipe.close()
            except OSError:
                pass
            self.finish()

    def _store(self, raws: list[bytes], data: bytes) -> None:
        index = 0
        while index < len(raws) and len(self._head) < HEAD_LINES and self._head_bytes < HEAD_BYTES:
            text = decode_line(raws[index])
            self._track_block(text)
            self._head.append(text)
            self._head_bytes += len(raws[index]) + 1
            self._completed += 1
            index += 1
        rest = raws[index:]
        if not rest:
            return
        if not self._block_open and not any(m in data or m in raws[0] for m in self._raw_markers):
            skipped, rest = rest[:-TAIL_LINES], rest[-TAIL_LINES:]
            self._omitted_bytes += sum(map(len, skipped)) + len(skipped)
            self._completed += len(skipped)
        for raw in rest:
            text = decode_line(raw)
            self._track_block(text)
            self._tail.append((self._completed, text, len(raw) + 1))
            self._tail_bytes += len(raw) + 1
            self._completed += 1
        while self._tail and (self._tail_bytes > TAIL_BYTES or len(self._tail) > TAIL_LINES):
            _, _, size = self._tail.popleft()
            self._tail_bytes -= size
            self._omitted_bytes += size

    def _track_block(self, text: str) -> None:
        is_marker = any(marker in text for marker in self._markers)
        if is_marker and not (self._block_open and not self._block_indented):
            self._block = deque(maxlen=BLOCK_LINES)
            self._block_open = True
            self._block_indented = False
            self.blocks_seen += 1
        if not self._block_open:
            return
        self._block.append(text)
        if is_marker:
            return
        if text[:1] in (" ", "\t"):
            self._block_indented = True
        elif self._block_indented:
            self._block_open = False  # the exception line ends the traceback
            self._keep_complete(list(self._block))

    def _keep_complete(self, block: list[str]) -> None:
        """Python starts a thread's traceback with "Exception in thread <name>:"; one of the main thread
        starts with the marker itself."""
        thread = block[0] if block[0].startswith("Exception in thread") else ""
        self._complete.pop(thread, None)
        self._complete[thread] = block
        while len(self._complete) > THREADS_KEPT:
            del self._complete[next(iter(self._complete))]

    # -- reading -------------------------------------------------------------------------------------
    @property
    def truncated(self) -> bool:
        """True when some bytes were dropped (between head and tail, or in a line too long)."""
        with self._lock:
            return self._omitted_bytes > 0 or self._splitter.cut_lines > 0

    def drained(self) -> bool | None:
        """Linux: everything the pipe carried so far is in lines() and partial(): the reader thread waits
        for more, or the pipe has ended. None when unknown."""
        if self._thread is None or self.at_eof:
            return True
        return procfs.own_thread_waiting(self._thread.native_id)

    @property
    def at_eof(self) -> bool:
        with self._lock:
            return self._eof

    def mark(self) -> int:
        with self._lock:
            return self._completed

    def lines(self, since: int = 0) -> list[str]:
        with self._lock:
            return self._lines_since(since)

    def partial(self) -> str:
        with self._lock:
            return decode_line(self._splitter.partial())

    def last_block(self) -> list[str]:
        """The last block that started with a marker (e.g. the last traceback), [] if none."""
        with self._lock:
            return list(self._block)

    def complete_blocks(self) -> list[list[str]]:
        """The last complete block (traceback, exception line included) of each thread, oldest first;
        the block being written only when none is complete."""
        with self._lock:
            if self._complete:
                return [list(block) for block in self._complete.values()]
            return [list(self._block)] if self._block else []

    def text(self) -> str:
        with self._lock:
            parts = list(self._head)
            if self._omitted_bytes:
                omitted = f"{self._omitted_bytes:,}".replace(",", " ")
                parts.append(f"[… {omitted} octets omis …]")
            parts.extend(text for _, text, _ in self._tail)
            partial = decode_line(self._splitter.partial())
        if partial:
            parts.append(partial)
        return "\n".join(parts)

    def tail(self, n_lines: int = 15) -> str:
        with self._lock:
            kept = self._lines_since(max(0, self._completed - n_lines))
            partial = decode_line(self._splitter.partial())
        if partial:
            kept.append(partial)
        return "\n".join(kept[-n_lines:])

    def snapshot(self, since: int) -> tuple[list[str], int, bool]:
        with self._lock:
            return self._lines_since(since), self._completed, self._eof

    def _lines_since(self, since: int) -> list[str]:
        kept = self._head[since:] if since < len(self._head) else []
        kept.extend(text for number, text, _ in self._tail if number >= since)
        return kept

    # -- waiting -------------------------------------------------------------------------------------
    def wait_text(self, predicate: Callable[[str], bool], timeout: float, since: int = 0) -> bool:
        """Wait until predicate holds on the text since line `since`, unfinished line included."""

        def holds() -> list[bool]:
            with self._lock:
                parts = self._lines_since(since)
                partial = decode_line(self._splitter.partial())
                eof = self._eof
            if partial:
                parts.append(partial)
            if predicate("\n".join(parts)):
                return [True]
            return [False] if eof else []

        result = wait_for(holds, timeout, [self])
        return bool(result and result[0])

    def wait_eof(self, timeout: float) -> bool:
        return bool(wait_for(lambda: self.at_eof, timeout, [self]))
