"""The grader's start-up hook in every student program: every thread's stack, told when the grader asks.

The launcher (`grader/confinement/launcher.py`) runs this file in the student's process before Landlock
and the student's code (`confinement.add_hook`). It starts nothing there: a thread started before the
confinement would stay unconfined, and the student's code could make it run theirs (sys.monitoring, a
patched module). It adds an audit hook instead: at the first `exec` (the launcher starting the student's
code, after the confinement), it starts one thread of its own. That thread waits, with no deadline, for a
request (one byte on a pipe of the grader's) and answers with every thread's stack (faulthandler) and an
end mark, on another pipe of the grader's: never on stdout or stderr, which belong to the student's
program. It is a bare `_thread` one: `threading.enumerate()` and `threading.active_count()` of the
student's program do not count it, and it never delays the program's exit.

The pipes come in the GRADER_RELEVE variable ("dump,request": descriptor numbers, or "h" and a Windows
handle), taken out of the environment before the student's code runs. Standard library only.
"""

import _thread
import faulthandler
import os
import sys

VARIABLE = "GRADER_RELEVE"
END_MARK = b"--- fin du releve ---\n"
HOOK_FD = 1000  # as procfs.HOOK_FD: the grader's /proc probes know the thread waiting here is not the program's


def _open_descriptor(value: str) -> int:
    """A descriptor number (POSIX), or a Windows handle given to the child (then made a descriptor)."""
    if sys.platform == "win32" and value.startswith("h"):
        import msvcrt

        return msvcrt.open_osfhandle(int(value[1:]), 0)
    return int(value)


def _install() -> None:
    value = os.environ.pop(VARIABLE, "")
    if value.count(",") != 1:
        return
    dump_fd, request_fd = (_open_descriptor(part) for part in value.split(","))
    try:
        os.dup2(request_fd, HOOK_FD, inheritable=False)
        os.close(request_fd)
        request_fd = HOOK_FD
    except OSError:  # a descriptor limit below it: the probes count the thread, and only wait longer
        pass
    read, write, dump, start = os.read, os.write, faulthandler.dump_traceback, _thread.start_new_thread
    started: list[bool] = []

    def serve() -> None:
        try:
            while read(request_fd, 1):
                dump(file=dump_fd, all_threads=True)
                write(dump_fd, END_MARK)
        except (OSError, ValueError):  # the grader is gone: nothing to say, and never on stderr
            pass

    def on_event(event: str, args: tuple) -> None:
        if event == "exec" and not started:
            started.append(True)
            start(serve, ())

    sys.addaudithook(on_event)


_install()
