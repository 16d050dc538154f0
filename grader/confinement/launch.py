"""Starting a student program through the launcher, and reading what the launcher tells back."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from grader.confinement import environment, macos

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
hooks: list[str] = []  # files every student program runs first (see add_hook)


def add_hook(path: str | Path) -> None:
    """Run the Python file `path` in every student program started from now on, before its code."""
    hooks.append(str(Path(path).resolve()))


class LaunchError(Exception):
    """The launcher could not confine the program, which was not run (French message)."""


def disabled() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() in ("non", "0", "off")


@dataclass
class Launched:
    """A student program started by the launcher: its own pid, the pid that ends everything it started
    (PID 1 of its namespace, None without one), what confines it, and the rest of the status pipe."""

    popen: subprocess.Popen
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
    script: str, *, workdir: Path, port: int, popen_options: dict[str, object], extra_env: dict[str, str] | None = None,
) -> Launched:
    """Start `script` (in `workdir`, a fresh copy) confined; `popen_options` (pipes, session) are the caller's.
    Writes are allowed in workdir's parent (the run's own folder: the copy and its temp folder)."""
    adopt_orphans()
    run_root = Path(workdir).parent
    temp = run_root / "temp"
    temp.mkdir(exist_ok=True)
    env = environment.minimal(home=str(workdir), temp=str(temp), port=port, extra=extra_env)
    if disabled():
        popen = subprocess.Popen([*interpreter(), "-X", MARK, "-u", script], cwd=workdir, env=env, **popen_options)  # type: ignore[call-overload]
        return Launched(popen, popen.pid, None, ["aucune (confinement désactivé)"])
    return _start_launcher(script, workdir, [str(run_root)], [port], env, tuple(hooks), dict(popen_options))


def probe() -> Launched:
    """Run the launcher without a program: it applies every layer it can and says which."""
    return _start_launcher("", Path.cwd(), [], None, environment.minimal(home="/", temp="/", port=0), (),
                           {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE})


def _start_launcher(
    script: str, workdir: Path, writable: list[str], ports: list[int] | None, env: dict[str, str],
    hooks: tuple[str, ...], popen_options: dict[str, object],
) -> Launched:
    reading, writing = os.pipe()
    spec: dict[str, object] = {"kit": str(KIT), "writable": writable, "ports": ports, "hooks": list(hooks)}
    spec.update(_status_end(writing, popen_options))
    command = [*interpreter(), "-X", MARK, "-I", "-u", str(LAUNCHER), json.dumps(spec), script]
    sandboxed = sys.platform == "darwin" and macos.available()
    if sandboxed:
        command = [macos.SANDBOX_EXEC, "-p", macos.profile(writable), *command]
    try:
        popen = subprocess.Popen(command, cwd=workdir, env=env, **popen_options)  # type: ignore[call-overload]
    finally:
        os.close(writing)
    status = os.fdopen(reading, "rb")
    told: dict[str, str] = {}
    for line in status:  # until the launcher has confined the program, or failed to
        key, _, value = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
        told[key] = value
        if key in ("layers", "error"):
            break
    if "layers" not in told:
        status.close()
        popen.kill()
        popen.wait()
        raise LaunchError(f"le lanceur n'a pas pu confiner le programme : {told.get('error', 'arrêté sans rien dire')}")
    pid = int(told["pid"])
    init = int(told["init"]) if "init" in told else None
    layers = json.loads(told["layers"])
    if sandboxed:
        layers.insert(0, macos.LAYER)
    if not applied:
        applied.append(tuple(layers))
    return Launched(popen, pid, init, layers, status)


def _status_end(writing: int, popen_options: dict[str, object]) -> dict[str, int]:
    """Hand the status pipe's writing end to the launcher alone (not to other programs started meanwhile),
    with the descriptors or handles the caller passes already (a hook's pipes)."""
    if os.name != "nt":
        popen_options["pass_fds"] = (*popen_options.get("pass_fds", ()), writing)  # type: ignore[misc]
        return {"status_fd": writing}
    import msvcrt

    handle = msvcrt.get_osfhandle(writing)  # type: ignore[attr-defined]
    os.set_handle_inheritable(handle, True)  # type: ignore[attr-defined]
    passed = popen_options.get("startupinfo")
    handles = [*(passed.lpAttributeList.get("handle_list", []) if passed is not None else []), handle]  # type: ignore[attr-defined]
    popen_options["startupinfo"] = subprocess.STARTUPINFO(lpAttributeList={"handle_list": handles})  # type: ignore[attr-defined]
    return {"status_handle": handle}
