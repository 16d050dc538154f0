"""The launcher script: `python -X grader_eleve -I [-S] -u launcher.py SPEC` (see startup.py).

Kept to these lines so that Python compiles almost nothing at each start: the work is in
`startup.py`, whose bytecode is cached like any module's."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from grader.confinement.startup import main  # (the kit is on the path only from here)

main()
