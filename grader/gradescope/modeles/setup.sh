#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
# The kit goes into its own virtual environment; the student's programs will run as an unprivileged user
# that can read the kit (its launcher runs in their process; the students have the grader anyway) but
# write neither it, nor the submission as handed in, nor the results.
set -euo pipefail
base=${AUTOGRADER_ROOT:-/autograder}
user=${GRADER_UTILISATEUR:-etudiant}

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv util-linux >/dev/null
python3 -m venv "$base/venv"
"$base/venv/bin/python" -m pip install --quiet "$base/source/kit"
id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
chown -R root:root "$base/source" "$base/venv"
chmod -R go-w,a+rX "$base/source"
[ ! -f "$base/source/bareme.toml" ] || chmod 600 "$base/source/bareme.toml"
