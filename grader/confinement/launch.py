"""Starting a student program through the launcher, and reading what the launcher tells back."""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from grader.confinement import environment, macos, zygote
from grader.confinement.startup import ORDER_HEADER, decoded, encoded

LAUNCHER = Path(__file__).resolve().with_name("launcher.py")
KIT = LAUNCHER.parent.parent.parent
DISABLE_VARIABLE = "GRADER_CONFINEMENT"  # "non": no launcher at all (bench and tests only)
MARK = "grader_eleve"  # `python -X grader_eleve`: a student program, for the grader's own bookkeeping
# Optional: the command that starts the student's Python in place of this one (Gradescope's run_autograder:
# grader/gradescope/modeles/lancer_etudiant.sh, which drops to an unprivileged user); a student's program
# cannot set the grader's environment.
INTERPRETER_VARIABLE = "GRADER_LANCEUR"
_subreaper = threading.Lock()
_is_subreaper = False
applied: list[tuple[str, ...]] = []  # the layers the first program launched in this process got
_ready: list[_Spawned] = []  # at most one launcher started in advance (see kept_ready)
_ready_lock = threading.Lock()
_keeping = 0  # how many kept_ready() blocks are open
_preparing: list[threading.Thread] = []  # threads starting the next one
_zygotes: list[zygote.Zygote] = []  # the zygote of the kept_ready() blocks (Linux), once started
_zygote_lock = threading.Lock()
_END_GRACE = 5.0  # seconds for an unused launcher to end once told there is no order
# What the launcher's interpreter reads as it starts (before its order): the locale, glibc's arenas, PATH.
_STARTUP_ENV = environment.minimal(home="/", temp="/", port=0)
hooks: list[str] = []  # files every student program runs first (see add_hook)
_lifeline: list[int] = []  # the reading end of this process's lifeline, once made (see _lifeline_end)
_lifeline_lock = threading.Lock()


def add_hook(path: str | Path) -> None:
    """Run the Python file `path` in every student program started from now on, before its code."""
    hooks.append(str(Path(path).resolve()))


class LaunchError(Exception):
    """The launcher could not confine the program, which was not run (French message)."""


def disabled() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() in ("non", "0", "off")


Started = subprocess.Popen | zygote.ForkedLauncher  # a launcher started alone, or forked by the zygote


@dataclass
class Launched:
    """A student program started by the launcher: its own pid, the pid that ends everything it started
    (PID 1 of its namespace, None without one), what confines it, and the rest of the status pipe."""

    popen: Started
    pid: int
    init: int | None
    layers: list[str] = field(default_factory=list)
    status: BinaryIO | None = None

    def exit_code(self) -> int:
        """Block until the student's own process has ended; its exit code (negative: a signal)."""
        code = None
        if self.status is not None:
            with self.status:
                for line in self.status:
                    key, _, value = line.decode("ascii", "replace").partition(" ")
                    if key == "exit":
                        code = int(value)
        launcher_code = self.popen.wait()
        return launcher_code if code is None else code


def interpreter() -> list[str]:
    """The command that runs a student's Python: this interpreter, or GRADER_LANCEUR's."""
    command = os.environ.get(INTERPRETER_VARIABLE)
    return shlex.split(command) if command else [sys.executable]


def adopt_orphans() -> None:
    """Linux: make this process a child subreaper (once), so that no process a student starts can leave
    the tree of this process, even when the launcher's namespace is not available."""
    global _is_subreaper
    with _subreaper:
        if _is_subreaper or not sys.platform.startswith("linux"):
            return
        from grader.confinement import linux

        linux.set_child_subreaper()
        _is_subreaper = True


def start(
    script: str,
    *,
    workdir: Path,
    port: int,
    popen_options: dict[str, object],
    extra_env: dict[str, str] | None = None,
    processes: int | None = None,
    hook_globals: Mapping[str, Mapping[str, object]] | None = None,
) -> Launched:
    """Start `script` (in `workdir`, a fresh copy) confined; `popen_options` (pipes, session) are the caller's.
    Writes are allowed in workdir's parent (the run's own folder: the copy and its temp folder). `processes`:
    its ceiling of processes and threads where one applies (None: the grading's, limits.PROCESSES).
    `hook_globals`: for a hook's path (as add_hook got it), the globals it starts with in this program."""
    adopt_orphans()
    run_root = Path(workdir).parent
    temp = run_root / "temp"
    temp.mkdir(exist_ok=True)
    env = environment.minimal(home=str(workdir), temp=str(temp), port=port, extra=extra_env)
    if disabled():
        popen = subprocess.Popen([*interpreter(), "-X", MARK, "-u", script], cwd=workdir, env=env, **popen_options)  # type: ignore[call-overload]
        return Launched(popen, popen.pid, None, ["aucune (confinement désactivé)"])
    writable = [str(run_root)]
    given = {str(Path(path).resolve()): dict(values) for path, values in (hook_globals or {}).items()}
    order: dict[str, object] = {
        "script": script,
        "workdir": str(workdir),
        "env": env,
        "writable": writable,
        "ports": [port],
        "hooks": [[hook, given.get(hook, {})] for hook in hooks],
    }
    if processes is not None:
        order["processes"] = processes
    spawned = _spare(popen_options) or _forked(popen_options) or _spawn(popen_options, writable, Path(workdir))
    return _ordered(spawned, order)


def probe() -> tuple[str, ...]:
    """Run the launcher without a program, in a run folder of its own: it applies every layer it can; they
    are returned once it has ended."""
    options: dict[str, object] = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    root = Path(tempfile.mkdtemp(prefix="grader-sonde-"))
    try:
        workdir = root / "travail"
        workdir.mkdir()
        order = {
            "script": "",
            "workdir": str(workdir),
            "env": _STARTUP_ENV,
            "writable": [str(root)],
            "ports": None,
            "hooks": [],
        }
        spawned = _spawn(options, [str(root)], workdir)
        try:
            launched = _ordered(spawned, order)
            _close(launched.popen.stdin)
            launched.exit_code()
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): the probe must not outlive the grader
            _kill_probe(spawned.popen)
            raise
        return tuple(launched.layers)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _kill_probe(popen: Started) -> None:
    """The probe's launcher and every process under it (its namespace's, seen from outside), killed."""
    from grader.harness import procfs  # not at the top: the launcher imports this package and starts fast

    for pid in sorted(procfs.descendants(popen.pid) if procfs.available() else ()):
        try:
            os.kill(pid, signal.SIGKILL)  # Linux only: procfs lists nothing elsewhere
        except OSError:
            pass
    popen.kill()
    popen.wait()


@dataclass
class _Spawned:
    """A launcher started, waiting for its order on stdin (Python loaded, namespaces made)."""

    popen: Started
    status: BinaryIO
    options: dict[str, object]
    sandboxed: bool

    def end(self) -> None:
        """Never used (nothing of a student's ever ran in it): told there is no order, the end of file on
        its stdin, it ends with everything it forked, and is reaped. Killed only if it has not ended within
        a few seconds: a launcher killed the moment it forks leaves its namespace's PID 1 running until that
        one sees it alone (startup._linux_namespaces), which a caller that reaped the launcher cannot wait for."""
        _close(self.popen.stdin)
        try:
            self.popen.wait(_END_GRACE)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        for pipe in (self.popen.stdout, self.popen.stderr, self.status):
            _close(pipe)


def _spawn(popen_options: dict[str, object], writable: list[str], cwd: Path) -> _Spawned:
    """Start a launcher in `cwd` (GRADER_LANCEUR's command may need the run's folder there)."""
    options = dict(popen_options)
    reading, writing = os.pipe()
    spec: dict[str, object] = {"kit": str(KIT), **_status_end(writing, options)}
    command = [*_command(spec), encoded(spec)]
    sandboxed = sys.platform == "darwin" and macos.available()
    if sandboxed:
        command = [macos.SANDBOX_EXEC, "-p", macos.profile(writable), *command]
    try:
        popen = subprocess.Popen(command, cwd=cwd, env=_STARTUP_ENV, **options)  # type: ignore[call-overload]
    finally:
        os.close(writing)
    return _Spawned(popen, os.fdopen(reading, "rb"), dict(popen_options), sandboxed)


def _command(spec: dict[str, object]) -> list[str]:
    """The launcher's command, but its spec (to which it may add the site-packages)."""
    return [*interpreter(), "-X", MARK, "-I", *_without_site(spec), "-u", str(LAUNCHER)]


def _without_site(spec: dict[str, object]) -> list[str]:
    """Python's `site` (the .pth files of site-packages) costs a third of a student program's start (32 ms of
    88 measured here, editable installs and certificate bundles): the launcher starts without it (-S) when
    it is this very interpreter, whose site-packages this process knows, and gives the student's program
    what `site` would (startup._as_site_would). Under GRADER_LANCEUR's command, site runs as usual."""
    if os.environ.get(INTERPRETER_VARIABLE):
        return []
    spec["site_packages"] = list(_site_packages())
    return ["-S"]


@functools.cache
def _site_packages() -> tuple[str, ...]:
    """This interpreter's site-packages folders (looked for once: each grading starts about 25 launchers)."""
    import site

    return tuple(folder for folder in site.getsitepackages() if os.path.isdir(folder))


def _ordered(spawned: _Spawned, order: Mapping[str, object]) -> Launched:
    """Give the launcher its order, and wait until it has confined the program (or failed to)."""
    popen, told = spawned.popen, {}
    payload = encoded(order).encode("ascii")
    try:
        assert popen.stdin is not None  # the launcher reads its order there
        popen.stdin.write(f"{len(payload):0{ORDER_HEADER}d}".encode() + payload)
        popen.stdin.flush()
    except (OSError, ValueError):
        pass  # it ended: what it said tells why
    for line in spawned.status:
        key, _, value = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
        told[key] = value
        if key in ("layers", "error"):
            break
    if "layers" not in told:
        spawned.end()
        raise LaunchError(f"le lanceur n'a pas pu confiner le programme : {told.get('error', 'arrêté sans rien dire')}")
    layers: list[str] = decoded(told["layers"])
    if spawned.sandboxed:
        layers.insert(0, macos.LAYER)
    if not applied:
        applied.append(tuple(layers))
    init = int(told["init"]) if "init" in told else None
    return Launched(popen, int(told["pid"]), init, layers, spawned.status)


def _close(pipe: IO[bytes] | None) -> None:
    if pipe is not None:
        pipe.close()


# -- one launcher started in advance -------------------------------------------------------------------------
@contextmanager
def kept_ready() -> Iterator[None]:
    """Within: a launcher is always started in advance (Linux), so that the next student program starts
    without waiting for Python to load; the one left over is ended on leaving."""
    global _keeping
    with _ready_lock:
        _keeping += 1
    try:
        yield
    finally:
        with _ready_lock:
            _keeping -= 1
            preparing = [] if _keeping else _preparing[:]
        for thread in preparing:  # each ends the launcher it started, now that none is kept
            thread.join()
        with _ready_lock:
            left = [] if _keeping else _ready[:]
            if not _keeping:
                _ready.clear()
                _preparing.clear()
        for spawned in left:
            spawned.end()
        with _zygote_lock, _ready_lock:
            zygotes = [] if _keeping else _zygotes[:]
            if not _keeping:
                _zygotes.clear()
        for ended in zygotes:
            ended.end()


def _before_its_program() -> bool:
    """Whether a launcher may be made before its program is known (started ahead, or forked): Linux, without
    GRADER_LANCEUR. Elsewhere each launcher is started for its program, in its folder: the macOS sandbox
    profile names that folder, and GRADER_LANCEUR's command gives it to its user."""
    return sys.platform.startswith("linux") and not os.environ.get(INTERPRETER_VARIABLE)


def _spare(popen_options: dict[str, object]) -> _Spawned | None:
    """The launcher started in advance, if there is one for these options; another is started meanwhile."""
    if not _before_its_program():
        return None
    with _ready_lock:
        if not _keeping:
            return None
        spare = _ready.pop() if _ready and _ready[0].options == popen_options else None
    thread = threading.Thread(target=_prepare, args=(dict(popen_options),), name="confinement-spare", daemon=True)
    with _ready_lock:
        _preparing[:] = [*(t for t in _preparing if t.is_alive()), thread]
    thread.start()
    return spare


def _prepare(popen_options: dict[str, object]) -> None:
    spawned = _forked(popen_options) or _spawn(popen_options, [], Path(tempfile.gettempdir()))
    with _ready_lock:
        keep = bool(_keeping) and not _ready
        if keep:
            _ready.append(spawned)
    if not keep:
        spawned.end()


def _forked(popen_options: dict[str, object]) -> _Spawned | None:
    """Within kept_ready() on Linux: a launcher forked by the grading's zygote (started at the first
    program); None elsewhere, or when the zygote cannot give these options or is gone."""
    if not _before_its_program() or not zygote.available():
        return None
    with _zygote_lock:
        with _ready_lock:
            if not _keeping:
                return None
        if not _zygotes:
            spec: dict[str, object] = {"kit": str(KIT)}
            command = _command(spec)
            lifeline, cwd = _lifeline_end(), tempfile.gettempdir()
            _zygotes.append(zygote.Zygote(command, spec, lifeline=lifeline, cwd=cwd, env=_STARTUP_ENV))
        started = _zygotes[0]
    forked = started.fork(popen_options)
    return None if forked is None else _Spawned(forked[0], forked[1], dict(popen_options), False)


def _status_end(writing: int, popen_options: dict[str, object]) -> dict[str, int]:
    """Hand the status pipe's writing end to the launcher alone (not to other programs started meanwhile);
    on POSIX, with the lifeline's reading end (watched on Linux, where the launcher waits for a namespace)."""
    if os.name != "nt":
        lifeline = _lifeline_end()
        popen_options["pass_fds"] = (writing, lifeline)
        return {"status_fd": writing, "lifeline_fd": lifeline}
    import msvcrt

    handle = msvcrt.get_osfhandle(writing)  # type: ignore[attr-defined]
    os.set_handle_inheritable(handle, True)  # type: ignore[attr-defined]
    popen_options["startupinfo"] = subprocess.STARTUPINFO(lpAttributeList={"handle_list": [handle]})  # type: ignore[attr-defined]
    return {"status_handle": handle}


def _lifeline_end() -> int:
    """The reading end of a pipe whose writing end this process alone holds and never closes (it is not
    inherited): it reaches end of file when this process ends, however it ends (SIGKILL too). A launcher
    ends its namespace then, so nothing a student started outlives the grader. (PR_SET_PDEATHSIG would
    not do: it follows the thread that started the launcher, and spare launchers come from short threads.)"""
    with _lifeline_lock:
        if not _lifeline:
            reading, _ = os.pipe()  # the writing end stays open, unnamed, until this process ends
            _lifeline.append(reading)
        return _lifeline[0]
