"""The grader's start-up hook, run by the student's interpreter before their program (`python -c`).

It never runs in the grader: `StackChannel.command` passes this file's text to `python -c`, with two pipe
ends and the student's script as arguments. It starts one thread of its own that waits, with no deadline,
for a request (one byte on the first pipe) and answers it with every thread's stack (faulthandler) and an
end mark, on the second pipe, the grader's own: never on stdout or stderr, which belong to the student's
program. Then it runs the script as `python script.py` would: same `sys.argv`, `sys.path[0]`,
`__name__ == "__main__"` and `__file__`.

The thread is a bare `_thread` one: `threading.enumerate()` and `threading.active_count()` of the
student's program do not count it, and it never delays the program's exit. (A signal handler would add no
thread, but a signal reaches any thread of the process, and the one blocked in input() never learns of it:
no reliable end mark.)

Written for every Python the kit supports, with nothing but the standard library.
"""

import _thread
import faulthandler
import os
import sys

END_MARK = b"--- fin du releve ---\n"


def _serve_requests(request_fd: int, dump_fd: int) -> None:
    try:
        while os.read(request_fd, 1):
            faulthandler.dump_traceback(file=dump_fd, all_threads=True)
            os.write(dump_fd, END_MARK)
    except (OSError, ValueError):  # the grader is gone: nothing to say, and never on the program's stderr
        pass


def _open_descriptor(value: str) -> int:
    """A descriptor number (POSIX), or a Windows handle given to the child (then made a descriptor)."""
    if sys.platform == "win32" and value.startswith("h"):
        import msvcrt

        return msvcrt.open_osfhandle(int(value[1:]), 0)
    return int(value)


def _run(script: str) -> None:
    """Like runpy.run_path(script, run_name="__main__"), with no frame of runpy's in the tracebacks."""
    import types

    path = os.path.abspath(script)
    sys.argv[:] = [script, *sys.argv[4:]]
    sys.path[0] = os.path.dirname(path)
    with open(path, "rb") as source:
        code = compile(source.read(), path, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = module  # the hook's own module stays alive through its functions
    exec(code, module.__dict__)


def main() -> None:
    dump, request, script = sys.argv[1:4]
    _thread.start_new_thread(_serve_requests, (_open_descriptor(request), _open_descriptor(dump)))
    _run(script)


main()
