#!/bin/sh
# lancer_etudiant.sh USER PYTHON ARGS...: started by the grader (root) in place of Python, in the work
# folder of one run of a student's program (GRADER_LANCEUR, see run_autograder). Gives that run's own
# folder (the fresh copy and its temp folder) to the unprivileged USER, then becomes USER, with no way back
# (no new privileges), and runs PYTHON ARGS (the kit's launcher, which confines further where it can).
# Nothing else is theirs: not the kit (readable, not writable), not the results, not the other runs.
set -eu
user=$1
python=$2
shift 2
chown -R "$user" "$(dirname "$PWD")"
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --no-new-privs -- "$python" "$@"
