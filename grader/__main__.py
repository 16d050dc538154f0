import sys

from grader.cli import main
from grader.handout import main as handout

if sys.argv[1:2] == ["distribuer"]:  # python -m grader distribuer DOSSIER: what the students receive
    sys.exit(handout(sys.argv[2:]))
sys.exit(main())
