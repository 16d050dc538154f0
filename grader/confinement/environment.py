"""The minimal environment of a student program: an allow-list, nothing of the teacher's."""

from __future__ import annotations

import os

# Windows cannot open a socket without these; they describe the system, not the teacher.
_WINDOWS_SYSTEM = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT")


def minimal(*, home: str, temp: str, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What a student program sees: where to connect, where it may write, and Python's settings."""
    env = {
        "CHAT_HOTE": "127.0.0.1",
        "CHAT_PORT": str(port),
        "HOME": home,
        "USERPROFILE": home,
        "TMPDIR": temp,
        "TEMP": temp,
        "TMP": temp,
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MALLOC_ARENA_MAX": "2",  # glibc: two heaps, not eight per core, each reserving 64 MB
    }
    if os.name == "nt":
        env.update({name: os.environ[name] for name in _WINDOWS_SYSTEM if name in os.environ})
        env["PATH"] = os.environ.get("SYSTEMROOT", r"C:\Windows") + r"\system32"
    else:
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    if "PYTHONHOME" in os.environ:  # describes the installation: without it Python may not start
        env["PYTHONHOME"] = os.environ["PYTHONHOME"]
    env.update(extra or {})
    return env
