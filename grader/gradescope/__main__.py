from grader.gradescope.cli import main

raise SystemExit(main())
