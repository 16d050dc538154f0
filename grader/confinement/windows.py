"""Windows: a Job Object holding the student's program and everything it starts. Stdlib only.

The job kills every process in it when its last handle closes (the student's main process ends or is
killed), caps the memory of each process and the number of processes. Windows gives no write
restriction nor signal scoping here: the program can still write wherever the teacher can."""

from __future__ import annotations

import ctypes
from ctypes import wintypes

from grader.confinement import limits

_EXTENDED_LIMIT_INFORMATION = 9
_LIMIT_ACTIVE_PROCESS = 0x00000008
_LIMIT_PROCESS_MEMORY = 0x00000100
_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x00000400
JOB_FLAGS = _LIMIT_ACTIVE_PROCESS | _LIMIT_PROCESS_MEMORY | _LIMIT_KILL_ON_JOB_CLOSE | _LIMIT_DIE_ON_UNHANDLED_EXCEPTION
ACTIVE_PROCESSES = 32


class _IoCounters(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_ulonglong)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    ]


class _BasicLimits(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", wintypes.DWORD),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", wintypes.DWORD),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", wintypes.DWORD),
        ("SchedulingClass", wintypes.DWORD),
    ]


class _ExtendedLimits(ctypes.Structure):
    _fields_ = [
        ("BasicLimitInformation", _BasicLimits),
        ("IoInfo", _IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def job_limits() -> _ExtendedLimits:
    """The limits the job is given (separate from the calls, so that they can be checked anywhere)."""
    info = _ExtendedLimits()
    info.BasicLimitInformation.LimitFlags = JOB_FLAGS
    info.BasicLimitInformation.ActiveProcessLimit = ACTIVE_PROCESSES
    info.ProcessMemoryLimit = limits.MEMORY_BYTES
    return info


def join_job() -> list[str]:
    """Put this process in a new job (its children follow); the French names of what was applied."""
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    job = kernel32.CreateJobObjectW(None, None)
    info = job_limits()
    if (
        not job
        or not kernel32.SetInformationJobObject(
            job, _EXTENDED_LIMIT_INFORMATION, ctypes.byref(info), ctypes.sizeof(info)
        )
        or not kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess())
    ):
        raise OSError(ctypes.get_last_error(), "Job Object")  # type: ignore[attr-defined]
    # The handle stays open for the life of this process: when it ends, the job kills the rest.
    return [
        (
            f"Job Object (mémoire ≤ {limits.MEMORY_BYTES // 2**20} Mo par processus, ≤ {ACTIVE_PROCESSES} "
            "processus, tous arrêtés avec le programme)"
        )
    ]
