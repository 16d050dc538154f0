"""The grader's start-up hook in every student program: every thread's stack, told when the grader asks.

The launcher (`grader/confinement/launcher.py`) runs this file in the student's process before Landlock
and the student's code (`confinement.add_hook`). It makes two pipes there, on fixed descriptors
(HOOK_FD: requests in, HOOK_FD + 3: answers out; the grader opens the other ends through
/proc/<pid>/fd, so nothing is passed at start and a launcher started in advance serves as well). It starts
no thread there: a thread started before the confinement would stay unconfined, and the student's code
could make it run theirs (sys.monitoring, a patched module). An audit hook starts it at the first `exec`
(the launcher starting the student's code, after the confinement). That thread waits, with no deadline,
for a request (one byte) and answers with every thread's stack (faulthandler) and an end mark: never on
stdout or stderr, which belong to the student's program. It is a bare `_thread` one:
`threading.enumerate()` and `threading.active_count()` of the student's program do not count it, and it
never delays the program's exit. Linux only (/proc); elsewhere nothing is set up. Standard library only.
"""

import _thread
import faulthandler
import os
import sys

END_MARK = b"--- fin du releve ---\n"
HOOK_FD = 1000  # as procfs.HOOK_FD: the grader's /proc probes know the thread waiting here is not the program's


def _install() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        ends = [*os.pipe(), *os.pipe()]  # request (read, write), answers (read, write)
        for offset, end in enumerate(ends):
            os.dup2(end, HOOK_FD + offset, inheritable=False)
            os.close(end)
    except OSError:  # a descriptor limit below them: no stack dump for this program
        return
    request_fd, dump_fd = HOOK_FD, HOOK_FD + 3
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
