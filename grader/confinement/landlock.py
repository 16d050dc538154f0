"""Linux Landlock through ctypes: writes only under given folders, TCP only on given ports, signals and
abstract sockets kept inside (each where the kernel's Landlock ABI supports it).

Stdlib only: the launcher imports it before the student's program runs."""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterable

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same numbers on every architecture
_VERSION_FLAG = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_WRITES_V1 = sum(1 << bit for bit in range(4, 13))  # remove dir/file, make char/dir/reg/sock/fifo/block/sym
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | _TRUNCATE | _IOCTL_DEV  # the rights a rule on a file may hold
READ = EXECUTE | READ_FILE | READ_DIR
BIND_TCP, CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.syscall.restype = ctypes.c_long
    return libc


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    libc = _libc()
    if libc is None or not hasattr(libc, "syscall"):
        return 0
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION_FLAG))
    return max(int(version), 0)


def fs_rights(version: int) -> int:
    """Every filesystem right the kernel of this ABI knows (all of them are restricted)."""
    rights = READ | WRITE_FILE | _WRITES_V1
    if version >= 2:
        rights |= _REFER
    if version >= 3:
        rights |= _TRUNCATE
    if version >= 5:
        rights |= _IOCTL_DEV
    return rights


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"Landlock {what} : {os.strerror(errno)}")
    return result


def restrict(
    version: int,
    *,
    readable: Iterable[str],
    writable: Iterable[str],
    ports: Iterable[int] | None,
    scoped: bool,
) -> list[str]:
    """Restrict this process and everything it starts from now on; return the French names of what was
    applied. `readable` may be read and executed; `writable` also changed; a path missing on this
    machine is left out. `ports` (None: no network rule) are the only TCP ports it may connect to."""
    libc = _libc()
    assert libc is not None and version > 0
    handled_fs = fs_rights(version)
    handled_net = CONNECT_TCP if ports is not None and version >= 4 else 0
    scopes = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if scoped and version >= 6 else 0
    attr = struct.pack("=QQQ", handled_fs, handled_net, scopes)[: 8 if version < 4 else 16 if version < 6 else 24]
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _check(
        libc.syscall(_CREATE_RULESET, buffer, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)), "create_ruleset"
    )
    try:
        for path in readable:
            _add_path(libc, ruleset, path, READ)
        for path in writable:
            _add_path(libc, ruleset, path, handled_fs)
        for port in ports or () if handled_net else ():
            rule = ctypes.create_string_buffer(struct.pack("=QQ", CONNECT_TCP, port), 16)
            _check(libc.syscall(_ADD_RULE, ruleset, _RULE_NET_PORT, rule, ctypes.c_uint32(0)), "add_rule(port)")
        _check(libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "restrict_self")
    finally:
        os.close(ruleset)
    applied = [f"Landlock v{version} (écriture dans sa copie seulement)"]
    if handled_net:
        applied.append("TCP limité au port de la vérification")
    if scopes:
        applied.append("signaux et sockets abstraites cloisonnés")
    return applied


def _add_path(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        _check(libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, ctypes.c_uint32(0)), f"add_rule({path})")
    finally:
        os.close(fd)
