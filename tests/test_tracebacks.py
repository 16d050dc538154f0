"""Tracebacks as the student reads them: their own lines, relative paths, the exception line, one per thread."""

from __future__ import annotations

from pathlib import Path

from grader.harness.output import OutputStream
from grader.harness.process import TRACEBACK_MARKERS
from grader.harness.tracebacks import readable

WORKDIR = Path("/tmp/grader-execution-abc123")


def thread_traceback(thread: str, line: int, error: str) -> str:
    return (
        f"Exception in thread {thread}:\n"
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3.11/threading.py", line 1045, in _bootstrap_inner\n'
        "    self.run()\n"
        '  File "/usr/lib/python3.11/threading.py", line 982, in run\n'
        "    self._target(*self._args, **self._kwargs)\n"
        f'  File "{WORKDIR}/serveur_exo.py", line {line}, in gerer_client\n'
        "    donnees = connexion.recv(1024)\n"
        f"{error}\n"
    )


def test_student_frames_kept_python_frames_folded_paths_relative() -> None:
    reset = "ConnectionResetError: [Errno 104] Connection reset by peer"
    block = thread_traceback("Thread-1 (gerer_client)", 42, reset)
    assert readable(block.splitlines(), WORKDIR) == [
        "Exception dans le thread Thread-1 (gerer_client) :",
        "Trace d'erreur (l'appel le plus récent en dernier) :",
        "  …",
        "  Fichier serveur_exo.py, ligne 42, dans gerer_client",
        "    donnees = connexion.recv(1024)",
        "ConnectionResetError: [Errno 104] Connection reset by peer",
    ]


def test_the_innermost_frame_and_the_exception_line_survive_a_deep_recursion() -> None:
    frames = [f'  File "{WORKDIR}/serveur_exo.py", line 7, in f\n    return f(n + 1)\n' for _ in range(60)]
    block = (
        "Traceback (most recent call last):\n"
        + "".join(frames)
        + '  File "/usr/lib/python3.11/json/decoder.py", line 355, in raw_decode\n'
        + "    raise JSONDecodeError\nRecursionError: maximum recursion depth exceeded\n"
    )
    shown = readable(block.splitlines(), WORKDIR, max_lines=12)
    assert len(shown) <= 12
    assert shown[0] == "Trace d'erreur (l'appel le plus récent en dernier) :"
    assert shown[-3:] == [
        "  Fichier decoder.py, ligne 355, dans raw_decode",
        "    raise JSONDecodeError",
        "RecursionError: maximum recursion depth exceeded",
    ]


def test_one_complete_traceback_per_thread_and_not_one_still_being_written() -> None:
    stream = OutputStream("erreurs", block_markers=TRACEBACK_MARKERS)
    stream.feed(thread_traceback("Thread-1", 40, "ValueError: un").encode())
    stream.feed(thread_traceback("Thread-2", 41, "ValueError: deux").encode())
    stream.feed(thread_traceback("Thread-1", 42, "ValueError: trois").encode())
    stream.feed(b'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n')  # unfinished
    blocks = stream.complete_blocks()
    assert [block[-1] for block in blocks] == ["ValueError: deux", "ValueError: trois"]
