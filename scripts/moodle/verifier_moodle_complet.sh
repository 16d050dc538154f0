#!/usr/bin/env bash
# Checks --feuille-moodle against a real Moodle site, installed here from its public source:
# PostgreSQL and PHP from the distribution (Debian 12 / Ubuntu 24.04, as root), Moodle cloned from
# github.com/moodle/moodle (branch MOODLE_BRANCH, default MOODLE_405_STABLE), a course, three students and
# an assignment with the offline grading worksheet and feedback comments. The kit grades a class laid out
# as Moodle's download (the reference, a buggy submission, a student who handed in nothing), fills the
# worksheet Moodle itself gave, imports it through Moodle's offline grading plugin, reads the grades and
# comments back from Moodle and compares them with the kit's JSON. Exit 0 when they all match.
#
# Needs the network (apt, GitHub) and about 1.5 GB of disk; takes several minutes. Not run in CI: the
# test suite runs Moodle's importer classes alone (scripts/verifier_feuille_moodle.py, MOODLE_SRC).
#   sudo scripts/moodle/verifier_moodle_complet.sh [WORK_DIR]
set -euo pipefail
kit=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/moodle-reel-XXXX)}
branch=${MOODLE_BRANCH:-MOODLE_405_STABLE}
mkdir -p "$work"

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git postgresql php-cli php-pgsql php-xml php-mbstring \
    php-curl php-zip php-gd php-intl php-soap >/dev/null
service postgresql start
su postgres -c "psql -qc \"CREATE USER moodle WITH PASSWORD 'moodle'\"" 2>/dev/null || true
su postgres -c "createdb -O moodle -E UTF8 moodle_kit" 2>/dev/null || true

if [ ! -d "$work/moodle" ]; then
    git clone --quiet --depth 1 --branch "$branch" https://github.com/moodle/moodle.git "$work/moodle"
fi
echo "Moodle : $(git -C "$work/moodle" rev-parse HEAD) ($branch)"
mkdir -p "$work/moodledata"
if [ ! -f "$work/moodle/config.php" ]; then
    php "$work/moodle/admin/cli/install.php" --non-interactive --agree-license --lang=en \
        --wwwroot=http://localhost/moodle --dataroot="$work/moodledata" --dbtype=pgsql --dbhost=localhost \
        --dbname=moodle_kit --dbuser=moodle --dbpass=moodle --fullname="Kit chat" --shortname=kit \
        --adminpass='Kit-admin-1' --adminemail=admin@example.org >/dev/null
fi

drive() { php "$kit/scripts/moodle/moodle_reel.php" "$work/moodle" "$@"; }
printf '["Alice Martin", "Zoé Élève", "Bob Absent"]' > "$work/noms.json"
drive preparer "$work/noms.json" > "$work/participants.json"
cat "$work/participants.json"

# The class as Moodle's "download all submissions" lays it out (Bob handed in nothing: no folder).
python3 - "$work" "$kit" <<'PY'
import json, shutil, sys
from pathlib import Path
work, kit = Path(sys.argv[1]), Path(sys.argv[2])
numbers = json.loads((work / "participants.json").read_text(encoding="utf-8"))["participants"]
sources = {"Alice Martin": kit / "solution", "Zoé Élève": kit / "tests" / "soumissions" / "sans_prefixe"}
for name, source in sources.items():
    folder = work / "classe" / f"{name}_{numbers[name]}_assignsubmission_file_"
    folder.mkdir(parents=True, exist_ok=True)
    for program in ("serveur_exo.py", "client_exo.py"):
        if (source / program).is_file():
            shutil.copy(source / program, folder / program)
PY

drive telecharger > "$work/feuille.csv"
status=0
(cd "$kit" && python3 -m grader "$work/classe" -q --json "$work/classe.json" --feuille-moodle "$work/feuille.csv") \
    || status=$?
[ "$status" -le 1 ] || { echo "le correcteur a échoué (code $status)"; exit 1; }  # 1: a submission failed a check
drive importer "$work/feuille-rempli.csv"
drive lire > "$work/lu.json"

python3 - "$work" <<'PY'
import html, json, sys
from pathlib import Path
work = Path(sys.argv[1])
numbers = json.loads((work / "participants.json").read_text(encoding="utf-8"))["participants"]
read = json.loads((work / "lu.json").read_text(encoding="utf-8"))
graded = {item["etudiant"]["identifiant"]: item for item in
          json.loads((work / "classe.json").read_text(encoding="utf-8"))["soumissions"]}
failures = 0
for name, number in numbers.items():
    got, item = read[str(number)], graded.get(str(number))
    expected = None if item is None else item["note"]
    ok = (got["note"] is None) if expected is None else (got["note"] is not None and abs(got["note"] - expected) < 0.005)
    failures += not ok
    print(f"{'OK ' if ok else 'ÉCHEC'} {name} ({number}) : Moodle {got['note']}, correcteur {expected}, "
          f"commentaire « {got['commentaire']} »")
sys.exit(1 if failures else 0)
PY
