"""Confinement of every student program: the launcher, and what it gives on this machine.

Every program of a student (server, client, anything the grader runs of theirs) is started with
`launch.start(...)`, which runs `launcher.py` (never the student's script directly). Just before the
student's code runs, in the student's own process, the launcher applies what the system offers:

- Linux: new user + PID + mount namespaces (a private /proc: the grader is out of sight; killing the
  namespace's PID 1 ends everything the student started, whatever it did: setsid, double fork, empty
  environment), rlimits (memory, file size, core, processes), no_new_privs, Landlock (writes only in the
  run's folder, TCP connections only to the check's port, signals and abstract sockets scoped), no
  capability left. The grader is a child subreaper: no orphan leaves its tree.
- macOS: a sandbox-exec profile (`macos.profile`) and the rlimits.
- Windows: a Job Object (`windows.join_job`): memory, number of processes, all killed with the program.
- Everywhere: a minimal environment (`environment.minimal`), stdin/stdout/stderr that are the grader's
  pipes, never the teacher's terminal.

`current()` says what this machine gives (a probe run of the launcher, once per process); its `line()`
is the « Isolation : … » line of the report, its `to_dict()` the "isolation" object of the JSON.

A grader hook run in the student's interpreter before the student's code (e.g. `faulthandler.register`
for a stack dump on a signal): `confinement.add_hook(path_of_a_python_file)` once; every student program
started afterwards runs it. The launcher runs each hook as a script of its own in the student's process
after the namespaces and rlimits, just before Landlock and the student's code (so the hook may still open
the files it needs); it must be stdlib only and quick. The student's code sees none of its globals.
`start(..., hook_globals={path: {...}})` gives a hook globals of its own in that one program (as
runpy's `init_globals`: they travel in the launcher's order).

The processes of one student program: `StudentProcess.tree_pids()` (Linux: the members of its PID
namespace, none of which can leave it; `Launched.init` is the namespace's PID 1, whose death ends them all).

`GRADER_CONFINEMENT=non` in the grader's environment turns the launcher off (bench and tests compare
with and without); a student's program cannot set the grader's environment.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # (not typing's: the launcher imports this package and must start fast)

if TYPE_CHECKING:  # each name is imported on first use
    from grader.confinement.launch import (
        DISABLE_VARIABLE,
        MARK,
        Launched,
        LaunchError,
        add_hook,
        kept_ready,
        start,
    )
    from grader.confinement.model import Confinement
    from grader.confinement.status import assess, current

_HOMES = {
    "DISABLE_VARIABLE": "launch",
    "LaunchError": "launch",
    "Launched": "launch",
    "start": "launch",
    "add_hook": "launch",
    "MARK": "launch",
    "kept_ready": "launch",
    "Confinement": "model",
    "assess": "status",
    "current": "status",
}
__all__ = [
    "DISABLE_VARIABLE",
    "MARK",
    "Confinement",
    "LaunchError",
    "Launched",
    "add_hook",
    "assess",
    "current",
    "kept_ready",
    "start",
]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
