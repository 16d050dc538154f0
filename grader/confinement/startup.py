"""What the launcher does: the only way the grader starts a student program. Run by the grader as

    python -X grader_eleve -I [-S] -u launcher.py SPEC

where SPEC is encoded (`encoded`: {"kit", "status_fd" or, on Windows, "status_handle", and with -S
"site_packages"}). On
Linux, in namespaces, it forks twice at once: the launcher (outside) waits; its child is PID 1 of the new
PID namespace and reaps; the grandchild becomes the student. The grandchild (the launcher itself
elsewhere) then reads its order on stdin ({"script", "workdir", "env", "writable", "ports", "hooks":
[[path, globals]], and optionally "processes"}: the grader may start a launcher before it knows what it
will run), confines itself, and runs the script as `python SCRIPT` would (same __main__, sys.argv,
sys.path[0], tracebacks that start in the student's file).

Through the status pipe (`status_fd`, never inherited by the student's code) it tells the grader, one
line each: "init PID" (PID 1 of the namespace, seen from outside: killing it ends everything the student
started), "pid PID" (the student's process, seen from outside), "layers ENCODED" (the list of what was
applied, once it is), "exit CODE" (the student's process ended) or "error TEXT" (confinement failed: nothing was run).

The zygote (Linux, during a grading: see zygote.py) is this script started once with "zygote_fd" in its
SPEC: it loads what a launcher needs, then forks a launcher for each request on that socket, each with
its own standard streams and status pipe; the launcher forked goes on from there as one started alone.
"""

from __future__ import annotations

import marshal
import os
import select
import signal
import sys
import types

TYPE_CHECKING = False  # (not typing's: importing typing would slow every launcher down)
if TYPE_CHECKING:
    import socket
    from typing import Any

PRIVATE_PROC = "/proc privé"
ORDER_HEADER = 8  # digits of the order's length
_MARSHAL_VERSION = 4  # read by every Python since 3.4, whichever interpreter GRADER_LANCEUR's command runs
NAMESPACES = "espaces de noms utilisateur, PID et montage"


def main() -> None:
    spec = decoded(sys.argv[1])
    if "zygote_fd" in spec:
        spec = _fork_on_request(spec)  # returns only in a launcher it forked
    status = _status_fd(spec)
    try:
        lifeline = spec.get("lifeline_fd")
        layers = _linux_namespaces(status, lifeline) if sys.platform.startswith("linux") else _no_namespace(status)
        if lifeline is not None:
            os.close(lifeline)  # the grader's: the student's program never holds it
        _load_ahead(spec)
        order = _order()
        if order is None:  # the grader ended without needing this launcher
            os._exit(0)
        os.chdir(order["workdir"])
        os.environ.clear()
        os.environ.update(order["env"])
        layers += _confine(order, layers)
    except Exception as error:
        _tell(status, "error", f"{type(error).__name__}: {error}")
        os._exit(70)
    _tell(status, "layers", encoded(layers))
    os.close(status)
    if order["ports"] is not None:
        _refused_as_at_home()
    _forget_the_kit(spec["kit"])
    if "site_packages" in spec:
        _as_site_would(spec["site_packages"])
    if order["script"]:  # no script: a probe of what this machine allows
        _run(order["script"])


def encoded(value: Any) -> str:
    """What the grader and the launcher tell each other (the spec, the order, the layers): dicts, lists,
    strings, numbers, None. Marshal, not JSON: `json` imports `re`, which no student program needs (20 ms
    of processor to import them, measured on 2 December), and each grading starts about 25 launchers."""
    return marshal.dumps(value, _MARSHAL_VERSION).hex()


def decoded(text: str | bytes) -> Any:
    """What `encoded` made, back (only ever the grader's or the launcher's own words, before the student's
    code runs)."""
    return marshal.loads(bytes.fromhex(text.decode("ascii") if isinstance(text, bytes) else text))


def _load_ahead(spec: dict) -> None:
    """Import, while the launcher waits for its order, what carrying it out needs: a launcher started in
    advance waits before the student's program is even known, so only the work after the order delays a
    check (measured: 14 ms from order to confined, 5 of them imports). The student's program sees none of
    the kit's modules (_forget_the_kit)."""
    from grader.confinement import limits, platform  # noqa: F401

    if sys.platform.startswith("linux"):
        from grader.confinement import landlock  # noqa: F401
    if "site_packages" in spec:
        import site  # noqa: F401


def _fork_on_request(spec: dict) -> dict:
    """The zygote: Python started and the launcher's modules loaded once, for every program of a grading
    (a launcher started for each one cost about 40 ms of processor more, measured on 2 December). For each
    request on the socket `zygote_fd` (the program's stdin, stdout, stderr and status pipe, as
    descriptors), fork a launcher and tell its pid, with a pidfd of it (the grader signals it through that,
    never through a pid that could be reused); tell its exit code once it has ended. Ends with the
    grader's lifeline, or once the grader closes the socket and every launcher has ended. Single-threaded:
    only so may it fork. Returns, in each launcher forked, that launcher's spec."""
    import socket

    _load_ahead(spec)
    control = socket.socket(fileno=spec["zygote_fd"])
    lifeline = spec.get("lifeline_fd")
    launchers: dict[int, int] = {}  # pidfd -> pid
    closing = False
    while not (closing and not launchers):
        watched = [*launchers, *([] if closing else [control.fileno()]), *([] if lifeline is None else [lifeline])]
        for ready in select.select(watched, [], [])[0]:
            if ready == lifeline:
                os._exit(0)  # the grader is gone: each launcher ends its namespace on that lifeline itself
            if ready in launchers:
                pid = launchers.pop(ready)
                os.close(ready)
                _send(control, ["exit", pid, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])])
                continue
            message, fds, _, _ = socket.recv_fds(control, 4096, 4)
            if not message:
                closing = True
                continue
            pid = os.fork()
            if pid == 0:
                return _forked_launcher(spec, control, launchers, fds, decoded(message))
            for fd in fds:
                os.close(fd)
            pidfd = os.pidfd_open(pid)
            launchers[pidfd] = pid
            _send(control, ["forked", pid], pidfd)
    os._exit(0)


def _send(control: socket.socket, message: list, fd: int | None = None) -> None:
    """A message to the grader (with a descriptor); none if the grader no longer reads."""
    import socket

    try:
        socket.send_fds(control, [encoded(message).encode("ascii")], [] if fd is None else [fd])
    except OSError:
        pass


def _forked_launcher(
    spec: dict, control: socket.socket, launchers: dict[int, int], fds: list[int], asked: dict
) -> dict:
    """In the launcher just forked: nothing of the zygote's but the lifeline; the request's descriptors as
    stdin, stdout and stderr (and a session of its own if asked); the last one is its status pipe."""
    control.close()
    for pidfd in launchers:
        os.close(pidfd)
    *streams, status = fds
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
        os.close(fd)
    if asked["session"]:
        os.setsid()
    return {**{key: value for key, value in spec.items() if key != "zygote_fd"}, "status_fd": status}


def _order() -> dict | None:
    """What to run, where, with which environment and rules: the first bytes on stdin (a length on 8
    digits, then the order `encoded`), read to their exact end so that the rest of stdin is the student's.
    None at EOF."""
    header = _read_exactly(ORDER_HEADER)
    return decoded(_read_exactly(int(header))) if header else None


def _read_exactly(size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _status_fd(spec: dict) -> int:
    if "status_handle" in spec:  # Windows: an inherited handle
        import msvcrt

        return msvcrt.open_osfhandle(spec["status_handle"], 0)  # type: ignore[attr-defined]
    return spec["status_fd"]


def _tell(status: int, key: str, value: object) -> None:
    os.write(status, f"{key} {value}\n".encode())


def _no_namespace(status: int) -> list[str]:
    _tell(status, "pid", os.getpid())
    return []


def _confine(order: dict, layers: list[str]) -> list[str]:
    """The layers after the namespaces (`layers`, already there): limits, hooks, the system's own."""
    from grader.confinement import limits, platform

    # Counted per user namespace (Linux 5.14+): only the student's own; never applied to root by Linux.
    applied = limits.apply(
        limit_processes=NAMESPACES in layers and os.getuid() != 0, processes=order.get("processes", limits.PROCESSES)
    )
    for hook, parameters in order["hooks"]:
        _run_hook(hook, parameters)
    return applied + platform.restrict(order["writable"], order["ports"], private_proc=PRIVATE_PROC in layers)


def _run_hook(path: str, parameters: dict) -> None:
    """A grader hook, run as a script of its own with `parameters` among its globals (runpy.run_path's
    init_globals, without importing runpy: a student program would not otherwise load it)."""
    import builtins

    with open(path, "rb") as file:
        code = compile(file.read(), path, "exec", dont_inherit=True)
    exec(code, {**parameters, "__name__": "__grader_hook__", "__file__": path, "__builtins__": builtins})


def _linux_namespaces(status: int, lifeline: int | None) -> list[str]:
    """In new namespaces when the machine allows it: fork the namespace's PID 1, which forks the student.
    Returns (in the student's process) the layers applied so far."""
    from grader.confinement import linux

    try:
        linux.new_namespaces()
    except OSError:
        return _no_namespace(status)
    launcher_alive, held_by_launcher = os.pipe()  # at its end of file once the launcher is gone
    init = os.fork()
    if init:
        os.close(launcher_alive)
        _tell(status, "init", init)
        _wait_as(init, status, lifeline)
    os.close(held_by_launcher)
    linux.die_with_parent(signal.SIGKILL)  # the launcher killed: the whole namespace goes with it
    if _at_end(launcher_alive):  # killed before PID 1 asked: asking came too late
        os._exit(0)
    os.close(launcher_alive)
    student = os.fork()
    if student:
        _reap_until_empty(student, status)
    _tell(status, "pid", os.readlink("/proc/self"))  # the old /proc: the pid the grader sees
    layers = [NAMESPACES]
    try:
        linux.private_proc()
        layers.append(PRIVATE_PROC)
    except OSError:
        pass
    return layers


def _at_end(pipe: int) -> bool:
    """Whether a pipe nobody writes on has reached its end of file (all its writing ends closed)."""
    readable, _, _ = select.select([pipe], [], [], 0)
    return bool(readable)


def _leave_the_pipes(status: int) -> None:
    """The launcher and PID 1 keep none of the student's pipes: their end is the student's end."""
    os.close(status)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _wait_as(child: int, status: int, lifeline: int | None) -> None:
    """The launcher: wait for PID 1 of the namespace, and end the same way; end it if the grader ends first
    (its lifeline reaches end of file)."""
    _leave_the_pipes(status)
    if lifeline is not None:
        _end_with_the_grader(lifeline, child)
    _, code = os.waitpid(child, 0)
    if os.WIFSIGNALED(code):
        signal.signal(os.WTERMSIG(code), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(code))
    os._exit(os.waitstatus_to_exitcode(code) & 0xFF)


def _end_with_the_grader(lifeline: int, child: int) -> None:
    """Wait until PID 1 of the namespace ends, or the grader does, and end PID 1 then (everything in the
    namespace ends with it). Nobody writes on the lifeline: it is readable only at its end of file. No
    thread can wait on it (a process that made a PID namespace starts none): a pidfd, from Linux 5.3;
    before, the launcher waits for PID 1 alone, and a batch's subreaper ends what outlives a grader."""
    try:
        child_ends = os.pidfd_open(child)
    except (AttributeError, OSError):
        return
    ready, _, _ = select.select([lifeline, child_ends], [], [])
    if child_ends not in ready:
        os.kill(child, signal.SIGKILL)


def _reap_until_empty(student: int, status: int) -> None:
    """PID 1 of the namespace: reap every process left to it, tell the student's exit, and end (taking
    what is left with it) once none is left."""
    for fd in (0, 1, 2):
        os.close(fd)
    exit_code = 0
    while True:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            os._exit(exit_code)
        if pid == student:
            exit_code = os.waitstatus_to_exitcode(code)
            _tell(status, "exit", exit_code)
            os.close(status)
            exit_code &= 0xFF


def _as_site_would(site_packages: list[str]) -> None:
    """Started without `site` (-S, for speed): what it gives a program run as `python SCRIPT`, but the .pth
    files: site-packages at the end of the path, exit() and quit(), help(), copyright, credits, license."""
    import site  # under -S, importing it changes nothing by itself

    sys.path.extend(folder for folder in site_packages if folder not in sys.path)
    site.setquit()
    site.setcopyright()
    site.sethelper()


def _forget_the_kit(kit: str) -> None:
    """The student's program sees no module of the grader, nor the kit on its path."""
    sys.path[:] = [entry for entry in sys.path if os.path.realpath(entry or ".") != os.path.realpath(kit)]
    for name in [name for name in sys.modules if name == "grader" or name.startswith("grader.")]:
        del sys.modules[name]


# Landlock refuses a TCP connection to a port other than the check's with EACCES. The student's program
# gets what it would get at home where nothing listens on that port: ECONNREFUSED (the same exception, so
# that its own `except ConnectionRefusedError` still runs). Compiled under a name of its own, so that the
# frame is taken out of the tracebacks the student sees.
HIDDEN_FILE = "<socket>"
_TRANSLATION = """
import errno, socket

def _translated(connect):
    def connect_as_at_home(self, address):
        try:
            return connect(self, address)
        except PermissionError:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused") from None
    return connect_as_at_home

def _translated_ex(connect_ex):
    def connect_ex_as_at_home(self, address):
        code = connect_ex(self, address)
        return errno.ECONNREFUSED if code == errno.EACCES else code
    return connect_ex_as_at_home

socket.socket.connect = _translated(socket.socket.connect)
socket.socket.connect_ex = _translated_ex(socket.socket.connect_ex)
"""


def _refused_as_at_home() -> None:
    exec(compile(_TRANSLATION, HIDDEN_FILE, "exec"), {})
    import threading

    shown = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        trace = _students_frames(args.exc_traceback, None)
        shown(threading.ExceptHookArgs([args.exc_type, args.exc_value, trace, args.thread]))

    threading.excepthook = hook


def _students_frames(trace: types.TracebackType | None, first_file: str | None) -> types.TracebackType | None:
    """The traceback without the launcher's frames: from the first frame in `first_file` on (None: from the
    start), and without the hidden translation's frames."""
    frames = []
    while trace is not None:
        frames.append(trace)
        trace = trace.tb_next
    if first_file is not None:
        starts = [i for i, frame in enumerate(frames) if frame.tb_frame.f_code.co_filename == first_file]
        frames = frames[starts[0] :] if starts else []
    kept: types.TracebackType | None = None
    for frame in reversed(frames):
        if frame.tb_frame.f_code.co_filename != HIDDEN_FILE:
            kept = types.TracebackType(kept, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return kept


def _run(script: str) -> None:
    """Run the student's script as `python SCRIPT` would."""
    import builtins

    path = os.path.abspath(script)
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(__file__=path, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = main_module
    sys.argv[:] = [script]
    sys.path.insert(0, os.path.dirname(path))
    sys.dont_write_bytecode = True
    try:
        with open(path, "rb") as file:
            code = compile(file.read(), path, "exec", dont_inherit=True)
        exec(code, main_module.__dict__)
    except SystemExit:
        raise
    except BaseException as error:
        trace = _students_frames(error.__traceback__, path)
        sys.excepthook(type(error), error.with_traceback(trace), trace)
        sys.exit(1)
