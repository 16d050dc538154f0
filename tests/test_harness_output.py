"""OutputStream: bounded memory, line numbering, decoding, waits that end on events."""

from __future__ import annotations

import os
import threading

from grader.harness.errors import CheckFailure, fail
from grader.harness.lines import MAX_LINE_BYTES, printable
from grader.harness.output import HEAD_BYTES, TAIL_BYTES, OutputStream

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "serveur_exo.py", line 3, in <module>\n'
    "    boom()\n"
    "NameError: name 'boom' is not defined\n"
)


def test_check_failure_french_omits_absent_parts() -> None:
    failure = CheckFailure("Rien reçu.", sent="Bonjour !", hint="Relayez le message.")
    assert failure.french() == "Rien reçu.\nEnvoyé : Bonjour !\nIndice : Relayez le message."
    assert isinstance(failure, AssertionError)
    try:
        fail("Perdu.", expected="Alice : Bonjour !", received="rien")
    except CheckFailure as raised:
        assert str(raised) == "Perdu.\nAttendu : Alice : Bonjour !\nReçu : rien"
    else:
        raise AssertionError("fail() did not raise")


def test_control_characters_are_shown_never_obeyed() -> None:
    failure = CheckFailure("Reçu du bruit.", received="\x1b[2J\x00\x07 é\tfin\r\x85\u2028", hint="ligne 1\nligne 2")
    assert failure.french() == "Reçu du bruit.\nReçu : ␛[2J␀␇ é\tfin␍\ufffd\ufffd\nIndice : ligne 1\nligne 2"
    assert printable("Zoé 🎉 こんにちは") == "Zoé 🎉 こんにちは"


def test_lines_marks_partial_and_crlf() -> None:
    stream = OutputStream("sortie")
    stream.feed(b"Serveur en attente de connexions...\r\nAli")
    assert stream.lines() == ["Serveur en attente de connexions..."]
    assert stream.partial() == "Ali"
    mark = stream.mark()
    stream.feed(b"ce : Bonjour !\nEntrez votre nom : ")
    assert stream.lines(mark) == ["Alice : Bonjour !"]
    assert stream.partial() == "Entrez votre nom : "
    assert stream.tail(2) == "Alice : Bonjour !\nEntrez votre nom : "


def test_invalid_utf8_and_split_characters_are_decoded() -> None:
    stream = OutputStream("sortie")
    emoji = "Zoé 🎉".encode("utf-8")
    stream.feed(emoji[:5])
    stream.feed(emoji[5:] + b"\n\xe9t\xe9\n")
    assert stream.lines() == ["Zoé 🎉", "\ufffdt\ufffd"]


def test_flood_keeps_memory_bounded() -> None:
    stream = OutputStream("sortie")
    chunk = b"".join(b"ligne %06d du flot sans fin\n" % n for n in range(2000))
    fed = 0
    while fed < 50 * 1024 * 1024:
        stream.feed(chunk)
        fed += len(chunk)
    kept = sum(len(line) + 1 for line in stream.lines())
    assert stream.total_bytes == fed
    assert stream.truncated
    assert kept <= HEAD_BYTES + TAIL_BYTES + 2 * MAX_LINE_BYTES
    assert stream.lines()[0] == "ligne 000000 du flot sans fin"
    assert stream.lines()[-1] == "ligne 001999 du flot sans fin"
    assert "octets omis" in stream.text()
    assert stream.mark() == 2000 * (fed // len(chunk))


def test_endless_line_is_truncated() -> None:
    stream = OutputStream("sortie")
    for _ in range(160):  # 10 MB without a newline
        stream.feed(b"x" * 65536)
    assert len(stream.partial()) <= MAX_LINE_BYTES + 4
    stream.feed(b"\nfin\n")
    first, last = stream.lines()
    assert first.endswith("[…]") and len(first) <= MAX_LINE_BYTES + 4
    assert last == "fin"
    assert stream.truncated


def test_last_traceback_survives_a_flood() -> None:
    stream = OutputStream("erreurs", block_markers=("Traceback (most recent call last)",))
    stream.feed(b"bruit\n" * 200_000)
    stream.feed(TRACEBACK.encode())
    stream.feed(b"encore du bruit\n" * 200_000)
    assert stream.blocks_seen == 1
    assert stream.last_block() == TRACEBACK.splitlines()


def test_wait_line_wakes_on_a_line_from_another_thread() -> None:
    stream = OutputStream("sortie")
    stream.feed(b"Alice : vieux message\n")
    mark = stream.mark()
    writer = threading.Timer(0.05, stream.feed, args=(b"bruit\nAlice : Bonjour !\n",))
    writer.start()
    try:
        line = stream.wait_line(lambda text: text.startswith("Alice"), timeout=5, since=mark)
    finally:
        writer.join()
    assert line == "Alice : Bonjour !"
    assert stream.wait_line(lambda text: "absent" in text, timeout=0.05) is None


def test_waits_end_at_end_of_file() -> None:
    stream = OutputStream("sortie")
    stream.feed(b"Entrez votre nom : ")
    assert stream.wait_text(lambda text: "nom" in text, timeout=5)
    stream.finish()
    assert stream.wait_eof(timeout=0)
    assert stream.wait_line(lambda text: True, timeout=30) is None  # no match and no more lines
    assert not stream.wait_text(lambda text: "jamais" in text, timeout=30)


def test_reader_thread_reads_a_pipe_and_closes_it() -> None:
    read_end, write_end = os.pipe()
    pipe = os.fdopen(read_end, "rb", buffering=0)
    stream = OutputStream("sortie", pipe)
    os.write(write_end, b"un\ndeux\n")
    os.close(write_end)
    assert stream.wait_eof(timeout=5)
    assert stream.join(timeout=5)
    assert stream.lines() == ["un", "deux"]
    assert pipe.closed
