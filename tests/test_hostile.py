"""Hostile and broken submissions (issue 6, item 1): a clear French verdict on the check concerned, a
bounded time, nothing left running, the student's folder untouched, the grader's memory bounded, and in
batch mode the rest of the class graded.

Every grading run of this file is started once, in parallel, by a module fixture (the runs mostly wait on
the student's programs), then each test asserts on its run. The corpus cases are the folders
`tests/soumissions/hostile_*`; the cases that need a special layout (empty files, links, accents in
folder names, a huge file, a zip bomb) are built in a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.harness.process import surviving_processes
from tests.grading import CORPUS, GRADE_TOGETHER_TIMEOUT_S, ROOT, GradingResult, grade, run_grader

PARALLEL_RUNS = 3
MEMORY_LIMIT_MB = 150
DEADLINE_CASE_S = 15.0  # a case that costs one of the harness's deadlines (5 s at most), on a busy machine
QUICK_CASE_S = 8.0  # a case told at once
HUGE_FILE_BYTES = 2**30  # sparse: nothing is written
BOMB_MEMBER_BYTES = 64 * 2**20
BOMB_MEMBERS = 40  # 2.5 GiB once expanded; 2.6 MB on disk


@dataclass(frozen=True)
class Case:
    """A grading run: its arguments, the verdict of each check concerned, and its time bound."""

    only: str
    verdicts: dict[str, tuple[str, ...]]  # check id -> (status, French words its message must hold...)
    max_s: float = QUICK_CASE_S
    measure_memory: bool = False


PASSED = ("reussie",)

CASES: dict[str, Case] = {
    # -- the server ----------------------------------------------------------------------------------
    "hostile_boucle_a_l_import": Case(
        "S01", {"S01": ("echouee", "n'écoute sur aucun port", "boucle sans fin")}, DEADLINE_CASE_S
    ),
    "hostile_n_ecoute_jamais": Case(
        "S01", {"S01": ("echouee", "n'écoute sur aucun port", "Démarrage du serveur")}, DEADLINE_CASE_S
    ),
    "hostile_autre_port": Case(
        "S01", {"S01": ("echouee", "n'écoute pas sur le port", "il écoute sur le port", "CHAT_PORT")}
    ),
    "hostile_sortie_immediate": Case("S01", {"S01": ("echouee", "terminé tout de suite (code 0)", "__main__")}),
    "hostile_affiche_sans_fin": Case(
        "S02",
        {"S01": PASSED, "S02": ("echouee", "n'affiche pas", "octets en tout")},
        DEADLINE_CASE_S,
        measure_memory=True,
    ),
    "hostile_octets_non_utf8": Case("S02,S09", {"S01": PASSED, "S02": PASSED, "S09": PASSED}),
    "hostile_processus_enfants": Case("S02", {"S01": PASSED, "S02": PASSED}),
    "hostile_lit_stdin": Case("S01", {"S01": ("echouee", "clavier", "input()")}),
    "hostile_accepte_sans_lire": Case("S02", {"S01": PASSED, "S02": ("echouee", "n'affiche pas")}, DEADLINE_CASE_S),
    "hostile_ferme_tout": Case(
        "S02,S03", {"S02": ("echouee", "n'affiche pas"), "S03": ("echouee", "a fermé la connexion")}
    ),
    "hostile_octets_aleatoires": Case(
        "S03", {"S01": PASSED, "S03": ("echouee", "ne forment pas du texte")}, DEADLINE_CASE_S + 5
    ),
    "hostile_lignes_geantes": Case("S03", {"S01": PASSED, "S03": PASSED}, measure_memory=True),
    "hostile_efface_fichiers": Case("S02,S03", {"S01": PASSED, "S02": PASSED, "S03": PASSED}),
    # -- the client ----------------------------------------------------------------------------------
    "hostile_client_sans_stdin": Case(
        "C02,C03",
        {"C01": PASSED, "C02": ("echouee", "Anonyme"), "C03": ("echouee", "n'est pas arrivé au serveur")},
        DEADLINE_CASE_S,
    ),
    "hostile_client_lit_apres_exit": Case("C05", {"C05": ("echouee", "après exit", "tourne encore")}, DEADLINE_CASE_S),
    "hostile_client_affiche_sans_fin": Case(
        "C03",
        {"C01": PASSED, "C03": ("echouee", "n'est pas arrivé", "octets en tout")},
        DEADLINE_CASE_S,
        measure_memory=True,
    ),
    "hostile_client_autre_port": Case("C02", {"C01": ("echouee", "ConnectionRefusedError"), "C02": ("ignoree",)}),
    "hostile_client_sans_connexion": Case(
        "C02", {"C01": ("echouee", "ni connexion au serveur"), "C02": ("ignoree",)}, DEADLINE_CASE_S
    ),
    # -- the submission ------------------------------------------------------------------------------
    "hostile_fichier_absent": Case("S01", {"S01": ("echouee", "introuvable", "Serveur_Exo.py")}),
    "hostile_latin1": Case("S01", {"S01": ("echouee", "pas enregistré en UTF-8", "ligne 1")}),
}

# Built in a temporary folder (see _build_layouts): folder name -> Case.
LAYOUT_CASES: dict[str, Case] = {
    "vides": Case("S01,C01", {"S01": ("echouee", "est vide"), "C01": ("echouee", "est vide")}),
    "Zoé Élève – groupe B": Case("S02", {"S01": PASSED, "S02": PASSED}),
    "liens": Case("S01,C01", {"S01": PASSED, "C01": ("echouee", "lien symbolique")}),
}


# -- helpers -------------------------------------------------------------------------------------------
def tree_digest(folder: Path) -> str:
    """What a folder holds (names, kinds, sizes, contents; links not followed), as one digest."""
    digest = hashlib.sha256()
    for current, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(folders + files):
            path = Path(current) / name
            info = path.lstat()
            digest.update(f"{path.relative_to(folder)}|{info.st_mode}|{info.st_size}|".encode())
            if path.is_symlink():
                digest.update(os.readlink(path).encode())
            elif path.is_file():
                digest.update(_file_digest(path, info))
    return digest.hexdigest()


def _file_digest(path: Path, info: os.stat_result) -> bytes:
    if info.st_size > 2**20:  # a huge (sparse) file: its size and date are enough
        return str(info.st_mtime_ns).encode()
    return hashlib.sha256(path.read_bytes()).digest()


_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(f'\\nPEAK_RSS={peak}\\n')\n"
    "sys.exit(code)\n"
)


def measured_grade(path: Path, *args: str) -> tuple[GradingResult, float | None]:
    """Like grade(), and the peak resident memory (MB) of the grader and what it reaped (POSIX only)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rapport.json"
        command = [sys.executable, "-m", "grader", str(path), "--json", str(out), *args, "--sans-isolation"]
        began = time.monotonic()
        if os.name == "nt":
            done = run_grader(*command[3:])
        else:
            done = subprocess.run(
                [sys.executable, "-c", _MEASURE, *command],
                cwd=ROOT,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=150,
                stdin=subprocess.DEVNULL,
            )
        seconds = time.monotonic() - began
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    found = re.search(r"^PEAK_RSS=(\d+)$", done.stderr, re.MULTILINE)
    peak_mb = int(found.group(1)) / (2**20 if sys.platform == "darwin" else 2**10) if found else None
    return GradingResult(done.returncode, report, done.stdout + done.stderr, seconds), peak_mb


def write_zip_bomb(archive: Path) -> None:
    """BOMB_MEMBERS members of BOMB_MEMBER_BYTES zeros each, compressed once and written by hand."""
    zeros = bytes(BOMB_MEMBER_BYTES)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(zeros) + compressor.flush()
    crc = zlib.crc32(zeros)
    local, central = bytearray(), bytearray()
    for index in range(BOMB_MEMBERS):
        name = f"zeros{index:02d}.txt".encode()
        # version needed, flags, method, time, date, CRC-32, compressed size, size, name length
        fields = struct.pack("<HHHHHIIIH", 20, 0, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(data), len(zeros), len(name))
        # extra field, comment, disk, internal and external attributes, offset of the local header
        central += struct.pack("<IH", 0x02014B50, 20) + fields
        central += struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(local)) + name
        local += struct.pack("<I", 0x04034B50) + fields + struct.pack("<H", 0) + name + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, BOMB_MEMBERS, BOMB_MEMBERS, len(central), len(local), 0)
    archive.write_bytes(bytes(local + central + end))


def _build_layouts(root: Path) -> tuple[dict[str, Path], Path, Path]:
    """The layout cases (name -> folder), a tiny class folder for batch mode, and a zip bomb."""
    valid_server = (CORPUS / "valide_threads" / "serveur_exo.py").read_bytes()
    valid_client = (ROOT / "solution" / "client_exo.py").read_bytes()
    outside = root / "ailleurs"
    outside.mkdir()
    (outside / "secret.txt").write_text("ne pas lire", encoding="utf-8")
    (outside / "client_exo.py").write_bytes(valid_client)
    folders = {name: root / name for name in LAYOUT_CASES}
    for folder in folders.values():
        folder.mkdir()
    (folders["vides"] / "serveur_exo.py").write_bytes(b"")
    (folders["vides"] / "client_exo.py").write_bytes(b"  \n\n")
    (folders["Zoé Élève – groupe B"] / "serveur_exo.py").write_bytes(valid_server)
    (folders["liens"] / "serveur_exo.py").write_bytes(valid_server)
    (folders["liens"] / "client_exo.py").symlink_to(outside / "client_exo.py")
    (folders["liens"] / "donnees").symlink_to(outside, target_is_directory=True)

    classe = root / "classe de TD"
    student = classe / "Zoé Élève (groupe B)"
    student.mkdir(parents=True)
    (student / "serveur_exo.py").write_bytes(valid_server)
    with open(student / "video.mp4", "wb") as huge:
        huge.truncate(HUGE_FILE_BYTES)
    deleter = classe / "efface tout"
    deleter.mkdir()
    (deleter / "serveur_exo.py").write_bytes((CORPUS / "hostile_efface_fichiers" / "serveur_exo.py").read_bytes())
    bomb = root / "bombe.zip"
    write_zip_bomb(bomb)
    (classe / "bombe.zip").write_bytes(bomb.read_bytes())
    return folders, classe, bomb


@dataclass
class Run:
    result: GradingResult
    unchanged: bool  # the graded folder is the same after the run
    peak_mb: float | None = None


def _timed(path: Path, args: tuple[str, ...], measure: bool) -> Run:
    before = tree_digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    if measure:
        result, peak = measured_grade(path, *args)
    else:
        result, peak = grade(path, *args), None
    after = tree_digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return Run(result, before == after, peak)


@dataclass
class Runs:
    by_case: dict[str, Run]
    survivors: list[int]  # student processes alive once every run had ended


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    layouts, classe, bomb = _build_layouts(tmp_path_factory.mktemp("hostile"))
    jobs: dict[str, tuple[Path, tuple[str, ...], bool]] = {
        name: (CORPUS / name, ("--only", case.only), case.measure_memory) for name, case in CASES.items()
    }
    jobs.update({name: (layouts[name], ("--only", case.only), False) for name, case in LAYOUT_CASES.items()})
    jobs["classe"] = (classe, ("--only", "S01,S02"), True)
    jobs["bombe seule"] = (bomb, (), False)
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {name: pool.submit(_timed, *job) for name, job in jobs.items()}
        by_case = {name: future.result() for name, future in futures.items()}
    return Runs(by_case, surviving_processes())


def grader_traceback(output: str) -> bool:
    """A traceback of the grader itself (a student's is indented inside a message, never at column 0)."""
    return bool(re.search(r"^Traceback|Erreur interne|\bFile \"[^\"]*grader[/\\]", output, re.MULTILINE))


def assert_verdicts(run: Run, case: Case) -> None:
    result = run.result
    assert not grader_traceback(result.output), result.output
    assert run.unchanged, "le dossier de l'élève a changé"
    assert run.result.seconds <= case.max_s, f"{run.result.seconds:.1f} s"
    for check_id, (status, *words) in case.verdicts.items():
        assert result.status(check_id) == status, (check_id, result.message(check_id))
        for word in words:
            assert word in result.message(check_id), (check_id, word, result.message(check_id))
    assert "erreur" not in result.statuses().values()
    all_passed = all(status == "reussie" for status, *_ in case.verdicts.values())
    assert result.exit_code == (0 if all_passed else 1), result.output
    if case.measure_memory and run.peak_mb is not None:
        assert run.peak_mb < MEMORY_LIMIT_MB


# -- the tests -----------------------------------------------------------------------------------------
def test_every_hostile_corpus_folder_is_a_case() -> None:
    folders = sorted(path.name for path in CORPUS.glob("hostile_*"))
    assert folders == sorted(CASES)
    for folder in folders:
        for program in (CORPUS / folder).glob("*.py"):
            first = program.read_bytes().split(b"\n", 1)[0]
            assert first.startswith(b'"""') and first.endswith(b'"""'), program


@pytest.mark.timeout(GRADE_TOGETHER_TIMEOUT_S)  # the first test runs the module's gradings
@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_case(runs: Runs, name: str) -> None:
    assert_verdicts(runs.by_case[name], CASES[name])
    assert runs.survivors == []


@pytest.mark.parametrize("name", sorted(LAYOUT_CASES))
def test_layout_case(runs: Runs, name: str) -> None:
    run = runs.by_case[name]
    assert_verdicts(run, LAYOUT_CASES[name])
    assert name in run.result.output  # the folder's name, accents and spaces included, shown as it is


def test_control_characters_never_reach_the_terminal(runs: Runs) -> None:
    result = runs.by_case["hostile_octets_aleatoires"].result
    assert "\x1b" not in result.output and "\x00" not in result.output
    assert "␛[2J" in result.message("S03")  # shown, not obeyed


def test_links_are_not_followed(runs: Runs) -> None:
    message = runs.by_case["liens"].result.message("C01")
    assert "n'a pas été pris" in message and "ne pas lire" not in message


def test_batch_grades_the_rest_of_a_hostile_class(runs: Runs) -> None:
    run = runs.by_case["classe"]
    assert not grader_traceback(run.result.output), run.result.output
    assert run.unchanged and run.result.seconds <= DEADLINE_CASE_S
    assert run.peak_mb is None or run.peak_mb < MEMORY_LIMIT_MB
    assert run.result.exit_code == 1  # the zip bomb cannot be graded
    reports = {Path(item["soumission"]).name: item for item in run.result.report["soumissions"]}
    assert set(reports) == {"bombe.zip", "efface tout", "Zoé Élève (groupe B)"}
    for name in ("efface tout", "Zoé Élève (groupe B)"):
        statuses = {check["id"]: check["statut"] for check in reports[name]["verifications"]}
        assert statuses == {"S01": "reussie", "S02": "reussie"}, (name, reports[name])
    bomb = reports["bombe.zip"]
    assert bomb["verifications"] == [] and "n'a pas été extraite" in bomb["erreur"]


def test_zip_bomb_alone_is_refused_before_expansion(runs: Runs) -> None:
    run = runs.by_case["bombe seule"]
    assert run.result.exit_code == 2 and run.result.seconds <= QUICK_CASE_S
    assert "n'a pas été extraite" in run.result.output and not grader_traceback(run.result.output)
