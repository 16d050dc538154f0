"""Gradescope: the autograder zip (`python -m grader.gradescope construire`) and its leaderboard.

The zip holds `setup.sh` and `run_autograder` (Gradescope's two entry points), `lancer_etudiant.sh` (what
the grader starts in place of Python so that each student program runs as an unprivileged user) and
the kit itself, with the teacher's scale file when given. See modeles/ and docs/guide-enseignant.md §7.
"""
