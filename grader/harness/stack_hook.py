"""The grader's start-up hook, run by the student's interpreter before their program (`python -c`).

It never runs in the grader: `stacks.hooked_command` passes this file's text to `python -c`, with the
mode, the file descriptors and the student's script as arguments. It sets up one thing, a dump of every
thread's stack written on a pipe of the grader's own when the grader asks (never on stdout or stderr,
which belong to the student's program), then runs the script as `python script.py` would: same
`sys.argv`, `sys.path[0]`, `__name__ == "__main__"` and `__file__`.

- "signal" (Linux, macOS): SIGUSR1. faulthandler writes the stacks from the signal handler itself, in C,
  even while every thread waits in a system call; then a Python handler writes the end mark. No thread
  is added, nothing polls: a program at rest stays at rest.
- "thread" (Windows, which has no SIGUSR1): a daemon thread reads requests, one byte each, from a second
  pipe, and answers the same way. It waits in read() with no deadline.

Written for every Python the kit supports, with nothing but the standard library.
"""

import faulthandler
import os
import sys

END_MARK = b"--- fin du releve ---\n"


def _answer(dump_fd):
    faulthandler.dump_traceback(file=dump_fd, all_threads=True)
    os.write(dump_fd, END_MARK)


def _serve_requests(request_fd, dump_fd):
    while os.read(request_fd, 1):
        _answer(dump_fd)


def _install(mode, dump_fd, request_fd):
    if mode == "signal":
        import signal

        signal.signal(signal.SIGUSR1, lambda signum, frame: os.write(dump_fd, END_MARK))
        faulthandler.register(signal.SIGUSR1, file=dump_fd, all_threads=True, chain=True)
    else:
        import threading

        threading.Thread(target=_serve_requests, args=(request_fd, dump_fd), daemon=True).start()


def _open_descriptor(value):
    """A descriptor number (POSIX), or a Windows handle given to the child (then made a descriptor)."""
    if value.startswith("h"):
        import msvcrt

        return msvcrt.open_osfhandle(int(value[1:]), 0)
    return int(value)


def _run(script):
    """Like runpy.run_path(script, run_name="__main__"), with no frame of runpy's in the tracebacks."""
    import types

    path = os.path.abspath(script)
    sys.argv[:] = [script, *sys.argv[5:]]
    sys.path[0] = os.path.dirname(path)
    with open(path, "rb") as source:
        code = compile(source.read(), path, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module  # the hook's own module stays alive through its functions
    exec(code, module.__dict__)


def main():
    mode, dump, request, script = sys.argv[1:5]
    _install(mode, _open_descriptor(dump), _open_descriptor(request) if request != "-" else -1)
    _run(script)


main()
