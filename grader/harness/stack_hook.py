"""The grader's start-up hook in every student program: every thread's stack, told when the grader asks.

The launcher (`grader/confinement/launcher.py`) runs this file in the student's process before the
confinement and the student's code (`confinement.add_hook`). It opens the way the grader asks through:

- Linux with /proc (no parameter given): two pipes on fixed descriptors (HOOK_FD: requests in,
  HOOK_FD + 3: answers out); the grader opens the other ends through /proc/<pid>/fd, so a launcher
  started in advance serves as well. The answer is faulthandler's dump.
- Everywhere else (macOS, Windows, or GRADER_SANS_PROC on Linux): the grader gives `GRADER`, (host, port,
  token) of its loopback listener, in the launcher's order. The hook connects now, before the confinement
  (Landlock allows no other connection afterwards), and sends the token, which tells the grader which
  program this is. The answer is built from `sys._current_frames()` in faulthandler's format (faulthandler
  cannot write on a Windows socket): the grader reads both the same way.

It starts no thread here: a thread started before the confinement would stay unconfined, and the
student's code could make it run theirs (sys.monitoring, a patched module). An audit hook starts it at the
first `exec` (the launcher starting the student's code, after the confinement). That thread waits, with no
deadline, for a request (one byte) and answers with every thread's stack and an end mark: never on stdout
or stderr, which belong to the student's program. It is a bare `_thread` one: `threading.enumerate()` and
`threading.active_count()` of the student's program do not count it, and it never delays the program's
exit. Standard library only.
"""

import _thread
import sys
from collections.abc import Callable
from types import FrameType

END_MARK = b"--- fin du releve ---\n"
HOOK_FD = 1000  # as procfs.HOOK_FD: the grader's /proc probes know the thread waiting here is not the program's
MOST_THREADS = MOST_FRAMES = 100  # as faulthandler: a dump stays small whatever the program does
CONNECT_TIMEOUT_S = 5.0

Asking = tuple[Callable[[], bytes], Callable[[], None]]  # (wait for a request, answer it)


def _install() -> None:
    grader = globals().get("GRADER")  # given by the grader (the launcher's hook globals) on the portable path
    if grader is not None:
        asking = _connected(*grader)
    elif sys.platform.startswith("linux"):
        asking = _pipes()
    else:
        return
    if asking is None:
        return
    wait_request, answer = asking
    start = _thread.start_new_thread
    started: list[bool] = []

    def serve() -> None:
        try:
            while wait_request():
                answer()
        except Exception:  # the grader gone, or the program broke what the dump reads: never a word on stderr
            pass

    def on_event(event: str, args: tuple) -> None:
        if event == "exec" and not started:
            started.append(True)
            start(serve, ())

    sys.addaudithook(on_event)


def _pipes() -> Asking | None:
    """Linux: the two pipes on fixed descriptors; the answer is faulthandler's."""
    import faulthandler
    import os

    try:
        ends = [*os.pipe(), *os.pipe()]  # request (read, write), answers (read, write)
        for offset, end in enumerate(ends):
            os.dup2(end, HOOK_FD + offset, inheritable=False)
            os.close(end)
    except OSError:  # a descriptor limit below them: no stack dump for this program
        return None
    request_fd, dump_fd = HOOK_FD, HOOK_FD + 3
    read, write, dump = os.read, os.write, faulthandler.dump_traceback

    def answer() -> None:
        dump(file=dump_fd, all_threads=True)
        write(dump_fd, END_MARK)

    return (lambda: read(request_fd, 1)), answer


def _connected(host: str, port: int, token: str) -> Asking | None:
    """The portable way: a connection to the grader's listener, made before the confinement."""
    import _socket  # the C socket: nothing the student's code could patch is called later

    connection = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        connection.settimeout(CONNECT_TIMEOUT_S)
        connection.connect((host, port))
        connection.settimeout(None)
        connection.sendall(token.encode("ascii") + b"\n")
    except OSError:  # the grader is gone: no stack dump for this program
        connection.close()
        return None
    receive, send, current_frames = connection.recv, connection.sendall, sys._current_frames

    def answer() -> None:
        send(portable_dump(current_frames(), _thread.get_ident()) + END_MARK)

    return (lambda: receive(1)), answer


def portable_dump(frames: dict[int, FrameType], own: int) -> bytes:
    """Every thread's stack but `own` (the hook's), in faulthandler's format, innermost frame first."""
    lines = []
    for ident, frame in list(frames.items())[:MOST_THREADS]:
        if ident == own:
            continue
        lines.append(f"Thread 0x{ident:016x} (most recent call first):")
        shown: FrameType | None = frame
        for _ in range(MOST_FRAMES):
            if shown is None:
                break
            path, function = _one_line(shown.f_code.co_filename), _one_line(shown.f_code.co_name)
            lines.append(f'  File "{path}", line {shown.f_lineno or 0} in {function}')
            shown = shown.f_back
        lines.append("")
    return "\n".join(lines).encode("utf-8", "backslashreplace")


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


if __name__ == "__grader_hook__":  # run by the launcher (the grader's tests import it too)
    _install()
