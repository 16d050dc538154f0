"""Splitting a byte stream into bounded lines, and decoding them for display and matching."""

from __future__ import annotations

MAX_LINE_BYTES = 64 * 1024
TRUNCATION_MARK = " […]".encode("utf-8")  # appended to a line cut at MAX_LINE_BYTES


class LineSplitter:
    """Cuts bytes at b"\\n"; a line longer than MAX_LINE_BYTES keeps its start and the mark " […]"."""

    def __init__(self) -> None:
        self._partial = bytearray()
        self._partial_cut = False
        self.cut_lines = 0  # how many lines were truncated

    def feed(self, data: bytes) -> list[bytes]:
        """The lines that `data` completes, without their b"\\n"."""
        pieces = data.split(b"\n")
        self._extend(pieces[0])
        if len(pieces) == 1:
            return []
        completed = [self._take_partial()]
        middle = pieces[1:-1]
        if middle and max(map(len, middle)) > MAX_LINE_BYTES:
            middle = [self._cut(piece) for piece in middle]
        completed.extend(middle)
        self._extend(pieces[-1])
        return completed

    def partial(self) -> bytes:
        """The unfinished line (e.g. a prompt without b"\\n")."""
        return bytes(self._partial) + (TRUNCATION_MARK if self._partial_cut else b"")

    def _extend(self, data: bytes) -> None:
        room = MAX_LINE_BYTES - len(self._partial)
        if len(data) > room:
            self._partial_cut = True
            data = data[: max(0, room)]
        self._partial += data

    def _take_partial(self) -> bytes:
        line = self.partial()
        if self._partial_cut:
            self.cut_lines += 1
        self._partial = bytearray()
        self._partial_cut = False
        return line

    def _cut(self, piece: bytes) -> bytes:
        if len(piece) <= MAX_LINE_BYTES:
            return piece
        self.cut_lines += 1
        return piece[:MAX_LINE_BYTES] + TRUNCATION_MARK


def decode_line(raw: bytes) -> str:
    """UTF-8 with replacement characters for invalid bytes, one trailing "\\r" removed."""
    text = raw.decode("utf-8", errors="replace")
    return text[:-1] if text.endswith("\r") else text


# Control characters a terminal would obey (clear the screen, move the cursor, ring...) and the separators
# that would cut a report's line: shown as their Unicode pictures ("␛", "␀"...) or "\ufffd" instead.
_UNPRINTABLE = {code: chr(0x2400 + code) for code in range(0x20) if chr(code) not in "\n\t"}
_UNPRINTABLE.update({0x7F: "\u2421", 0x2028: "\ufffd", 0x2029: "\ufffd"})
_UNPRINTABLE.update(dict.fromkeys(range(128, 160), "�"))


def printable(text: str) -> str:
    """Text safe to show in a report: line breaks and tabs kept, every other control character visible."""
    return text.translate(_UNPRINTABLE)
