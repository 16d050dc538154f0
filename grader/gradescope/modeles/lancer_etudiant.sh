#!/bin/sh
# Started by the grader (root) in place of Python, in the work folder of one run of a student's program:
# gives that fresh copy to the unprivileged user, then becomes that user to run Python on it.
# Nothing else is theirs: not the kit, not the results, not the other runs' folders.
set -eu
user=${GRADER_UTILISATEUR:-etudiant}
python=${GRADER_PYTHON_ETUDIANT:-/usr/bin/python3}
chown -R "$user" "$PWD"        # this run's copy (made by the grader a moment ago, nothing run in it yet)
chmod 711 "$(dirname "$PWD")"  # its parent may be crossed, not listed
export HOME="$PWD"
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --no-new-privs -- "$python" "$@"
