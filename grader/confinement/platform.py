"""The last layers, applied by the launcher in the student's own process just before its code runs:
which ones depends on the system. Stdlib only (the launcher imports it)."""

from __future__ import annotations

import os
import sys

# Read (and executed) by a Linux student program: the system and Python's installation, never the
# teacher's home, /tmp (the other students' copies) or /dev (the teacher's terminal).
SYSTEM_FOLDERS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
DEVICES_READ = ("/dev/urandom", "/dev/random", "/dev/zero")
DEVICES_WRITTEN = ("/dev/null",)


def python_folders() -> list[str]:
    """Where this Python's standard library and executable live (a venv, pyenv, a home install...). A venv's
    folder is also that of its executable's link: started without `site` (-S), Python does not make it
    sys.prefix, yet a program the student starts reads its pyvenv.cfg, and the student's imports its
    site-packages."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for executable in (os.path.realpath(sys.executable), os.path.abspath(sys.executable)):
        folders.add(os.path.dirname(os.path.dirname(executable)))
    return sorted(folders)


def restrict(writable: list[str], ports: list[int] | None, *, private_proc: bool = False) -> list[str]:
    """Confine this process (and what it starts) for good; the French names of what was applied."""
    system: str = sys.platform  # a variable: each branch is checked, whatever the system mypy runs on
    if system.startswith("linux"):
        return _linux(writable, ports, private_proc)
    if os.name == "nt":
        from grader.confinement import windows

        return windows.join_job()
    return []  # macOS: sandbox-exec was applied by the grader's command (confinement.sandbox_profile)


def _linux(writable: list[str], ports: list[int] | None, private_proc: bool) -> list[str]:
    from grader.confinement import landlock, linux

    linux.no_new_privileges()
    applied = ["no_new_privs"]
    version = landlock.abi()
    if version:
        readable = [*SYSTEM_FOLDERS, *python_folders(), *DEVICES_READ, *(["/proc"] if private_proc else [])]
        applied += landlock.restrict(
            version, readable=readable, writable=[*writable, *DEVICES_WRITTEN], ports=ports, scoped=True
        )
    linux.drop_capabilities()
    return applied
