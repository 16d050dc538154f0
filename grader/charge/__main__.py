"""`python -m grader.charge`: see grader/charge/cli.py."""

import sys

from grader.charge.cli import main

sys.exit(main())
