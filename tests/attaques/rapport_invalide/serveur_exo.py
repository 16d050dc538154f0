"""Attack: write an invalid report ("points": "beaucoup") in every descriptor of my ancestors."""

import os

INVALID = '{"soumission": "x", "verifications": [{"id": "S01", "statut": "reussie", "points": "beaucoup"}]}\n'

pid = os.getpid()
while pid > 1:
    try:
        pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except (OSError, ValueError, IndexError):
        break
    for fd in descriptors:
        try:
            with open(f"/proc/{pid}/fd/{fd}", "w") as target:
                target.write(INVALID)
        except OSError:
            pass
