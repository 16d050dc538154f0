"""The confinement of student programs (issue 12): the launcher's layers, checked on this machine where
the kernel has them (skipped with the reason otherwise), and the parts for other systems checked as text
and data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader import confinement
from grader.batch.validation import Expected, InvalidReport, validated_report
from grader.catalogue import load_catalogue
from grader.confinement import environment, landlock, launch, limits, macos, startup, windows, zygote
from grader.confinement.model import Confinement
from grader.harness import procfs
from grader.harness.process import StudentProcess, kill_surviving_processes, surviving_processes
from grader.harness.waiting import wait_probing
from grader.scale import default_scale
from tests.grading import ROOT, SOLUTION, grade
from tests.programs import left_in_this_session

LINUX = sys.platform.startswith("linux")
CONFINED = confinement.current().confined
needs_confinement = pytest.mark.skipif(
    not CONFINED, reason=f"ce système ne confine pas les programmes : {confinement.current().line()}"
)


# -- what is reported -----------------------------------------------------------------------------------
def test_the_line_says_what_is_applied_and_what_is_missing() -> None:
    confined = Confinement(True, ("espaces de noms utilisateur, PID et montage", "Landlock v7 (x)"))
    assert confined.line() == "Isolation : confinée (espaces de noms utilisateur, PID et montage, Landlock v7 (x))"
    bare = confinement.assess((), "win32")
    assert not bare.confined
    assert bare.line().startswith("Isolation : NON confinée (aucune protection) ; absent : écritures non limitées")
    assert Confinement.from_dict(confined.to_dict()) == confined


@pytest.mark.parametrize(
    ("layers", "platform", "confined"),
    [
        (("espaces de noms utilisateur, PID et montage", "Landlock v7 (écriture dans sa copie)"), "linux", True),
        (("Landlock v7 (écriture dans sa copie seulement)",), "linux", False),  # cleanup defeatable
        (("espaces de noms utilisateur, PID et montage",), "linux", False),  # writes anywhere
        ((macos.LAYER, "mémoire ≤ 1024 Mo"), "darwin", False),  # no namespace: a double fork escapes
        (("Job Object (...)",), "win32", False),
    ],
)
def test_confined_needs_restricted_writes_and_an_undefeatable_cleanup(layers, platform, confined) -> None:
    assert confinement.assess(layers, platform).confined is confined


def test_the_switch_turns_the_launcher_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(confinement.DISABLE_VARIABLE, "non")
    assert not confinement.current().confined
    assert "désactivé" in confinement.current().line()


@needs_confinement
def test_the_report_and_the_json_tell_the_isolation() -> None:
    result = grade(SOLUTION)
    assert result.report["isolation"]["confinee"] is True
    assert any(layer.startswith("Landlock") for layer in result.report["isolation"]["couches"])
    assert "Isolation : confinée (" in result.output


# -- the environment and the other systems ---------------------------------------------------------------
def test_the_environment_is_an_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent")
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    env = environment.minimal(home="/copie", temp="/copie-temp", port=4242, extra={"EXTRA": "1"})
    assert env["HOME"] == "/copie" and env["TMPDIR"] == "/copie-temp" and env["CHAT_PORT"] == "4242"
    assert env["MALLOC_ARENA_MAX"] == "2" and env["EXTRA"] == "1"
    assert "SSH_AUTH_SOCK" not in env and "GITHUB_TOKEN" not in env
    monkeypatch.setattr(os, "name", "nt")
    monkeypatch.setenv("SYSTEMROOT", r"C:\Windows")
    env = environment.minimal(home="C:\\copie", temp="C:\\temp", port=1)
    assert env["SYSTEMROOT"] == r"C:\Windows" and env["PATH"] == r"C:\Windows\system32"
    assert "GITHUB_TOKEN" not in env


def test_the_macos_profile_allows_writes_only_in_the_copy(tmp_path: Path) -> None:
    odd = tmp_path / 'co"pie'
    text = macos.profile([str(odd)])
    assert "(deny file-write*)" in text and "(deny signal)" in text and "(deny network*)" in text
    assert f'(subpath "{str(odd.resolve()).replace(chr(34), chr(92) + chr(34))}")' in text
    assert '(allow network-outbound (remote ip "localhost:*"))' in text
    assert "(allow signal (target same-sandbox))" in text
    assert text.count("(allow file-write*") == 1


def test_the_windows_job_kills_on_close_and_caps_memory_and_processes() -> None:
    info = windows.job_limits()
    flags = info.BasicLimitInformation.LimitFlags
    assert flags & 0x2000 and flags & 0x100 and flags & 0x8  # kill on close, process memory, active processes
    assert info.ProcessMemoryLimit == limits.MEMORY_BYTES
    assert info.BasicLimitInformation.ActiveProcessLimit == windows.ACTIVE_PROCESSES


# -- the launcher on this machine -------------------------------------------------------------------------
def started(folder: Path, source: str, port: int = 4321) -> StudentProcess:
    workdir = folder / "travail"
    workdir.mkdir(parents=True)
    (workdir / "prog.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return StudentProcess.start(workdir, "prog.py", port=port, label="serveur")


def finished(process: StudentProcess) -> list[str]:
    try:
        assert process.wait_exit(15) is not None, process.stderr.text()
        process.stdout.wait_eof(5)
        return process.stdout.lines()
    finally:
        process.kill_tree()


@needs_confinement
def test_writes_only_in_the_copy_and_its_temp_folder(tmp_path: Path) -> None:
    outside = tmp_path / "dehors.txt"
    lines = finished(
        started(
            tmp_path / "eleve",
            f"""
        import os, tempfile
        for path in ("ici.txt", os.path.join(tempfile.gettempdir(), "temp.txt"), {str(outside)!r},
                     os.path.expanduser("~/maison.txt")):
            try:
                open(path, "w").write("x")
                print("écrit", os.path.basename(path))
            except OSError as error:
                print("refusé", os.path.basename(path), error.errno)
    """,
        )
    )
    assert lines == ["écrit ici.txt", "écrit temp.txt", "refusé dehors.txt 13", "écrit maison.txt"]
    assert not outside.exists()


@needs_confinement
def test_the_grader_is_out_of_sight_and_out_of_reach(tmp_path: Path) -> None:
    lines = finished(
        started(
            tmp_path / "eleve",
            f"""
        import os, signal
        print("parent", os.getppid())
        print("visibles", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) == [1, os.getpid()])
        try:
            os.kill({os.getpid()}, signal.SIGSTOP)
            print("signal envoyé")
        except OSError as error:
            print("signal refusé", error.errno)
    """,
        )
    )
    assert lines[:2] == ["parent 1", "visibles True"]  # PID 1 of its namespace, not the grader
    assert lines[2].startswith("signal refusé")


@pytest.mark.skipif(not LINUX or landlock.abi() < 4, reason="ce noyau n'a pas les règles réseau de Landlock (ABI 4)")
def test_tcp_connections_only_to_the_checks_port_refused_as_at_home(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as check, socket.create_server(("127.0.0.1", 0)) as other:
        other.settimeout(0.5)
        lines = finished(
            started(
                tmp_path / "eleve",
                f"""
            import socket
            for port in ({check.getsockname()[1]}, {other.getsockname()[1]}):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=5).close()
                    print("connecté")
                except ConnectionRefusedError:
                    print("refusé")
            print(socket.socket().connect_ex(("127.0.0.1", {other.getsockname()[1]})) == 111)
        """,
                port=check.getsockname()[1],
            )
        )
        with pytest.raises(TimeoutError):
            other.accept()
    assert lines == ["connecté", "refusé", "True"]


@needs_confinement
def test_memory_is_capped(tmp_path: Path) -> None:
    lines = finished(
        started(
            tmp_path / "eleve",
            """
        try:
            gros = bytearray(2 * 1024**3)
            print("alloué")
        except MemoryError:
            print("MemoryError")
    """,
        )
    )
    assert lines == ["MemoryError"]


@pytest.mark.skipif(not LINUX or not landlock.abi(), reason="Landlock absent de ce noyau")
def test_a_trace_starts_in_the_students_file_and_hooks_run_first(tmp_path: Path, monkeypatch) -> None:
    hook = tmp_path / "crochet.py"
    hook.write_text("import sys\nprint('crochet', file=sys.stderr, flush=True)\n", encoding="utf-8")
    monkeypatch.setattr(launch, "hooks", [])
    confinement.add_hook(hook)
    process = started(tmp_path / "eleve", "print(1 / 0)\n")
    finished(process)
    assert process.stderr.lines()[0] == "crochet"
    assert process.traceback_tail().splitlines()[1].strip().startswith("Fichier prog.py, ligne 1")  # the student's
    assert "launcher" not in process.stderr.text()


LOADED = "import sys\nprint(sorted(name for name in ('json', 're', 'runpy', 'grader') if name in sys.modules))\n"


@needs_confinement
def test_a_hook_gets_its_globals_and_the_program_pays_for_no_module_it_did_not_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each grading starts about 25 programs: the launcher's own words (spec, order, layers) load neither
    json nor re, and hooks run without runpy."""
    hook = tmp_path / "crochet.py"
    hook.write_text("print(__name__, DONNE, flush=True)\n", encoding="utf-8")
    monkeypatch.setattr(launch, "hooks", [])
    confinement.add_hook(hook)
    workdir = tmp_path / "travail"
    workdir.mkdir()
    (workdir / "prog.py").write_text(LOADED, encoding="utf-8")
    given = {str(hook): {"DONNE": ("127.0.0.1", 5, "jeton")}}
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    launched = launch.start("prog.py", workdir=workdir, port=4321, popen_options=pipes, hook_globals=given)
    output = launched.popen.communicate(timeout=30)[0].decode().splitlines()
    assert output == ["__grader_hook__ ('127.0.0.1', 5, 'jeton')", "[]"]


# -- batch mode: the isolation said by each grading process ----------------------------------------------
def test_a_grading_process_tells_its_isolation_in_a_checked_shape() -> None:
    catalogue = load_catalogue()
    expected = Expected.of(catalogue, default_scale(catalogue), {"S01"}, 100.0)
    said = Confinement(True, ("Landlock v7 (écriture dans sa copie seulement)",))
    report = {
        "soumission": "a",
        "verifications": [
            {
                "id": "S01",
                "titre": "x",
                "categorie": "serveur",
                "statut": "echouee",
                "points": 0,
                "points_max": 1,
                "message": "",
                "duree_s": 0.1,
            }
        ],
        "isolation": said.to_dict(),
    }
    assert validated_report(report, expected).isolation == said
    for forged in (
        {"confinee": "oui", "couches": [], "absentes": []},
        {"confinee": True, "couches": [1]},
        {"confinee": True, "couches": ["x" * 1000], "absentes": []},
        ["confinee"],
    ):
        with pytest.raises(InvalidReport, match="isolation"):
            validated_report({**report, "isolation": forged}, expected)


WAITS = "print('prêt', flush=True)\ninput()\n"


def ready(process: StudentProcess) -> bool:
    return process.stdout.wait_line(lambda line: line == "prêt", 10) is not None


@needs_confinement
def test_a_grading_keeps_one_launcher_ready_and_ends_it(tmp_path: Path) -> None:
    with confinement.kept_ready():
        first = started(tmp_path / "un", WAITS)
        assert ready(first)
        deadline = time.monotonic() + 15
        while not launch._ready and time.monotonic() < deadline:
            time.sleep(0.02)
        spare = launch._ready[0]
        second = started(tmp_path / "deux", WAITS)
        assert ready(second)
        assert second.pid != first.pid and second._launched.popen is spare.popen
        first.kill_tree()
        second.kill_tree()
    assert launch._ready == [] and spare.popen.poll() is not None


needs_zygote = pytest.mark.skipif(
    not LINUX or not zygote.available(), reason="pas de zygote ici (Linux 5.3 et ses pidfd seulement)"
)


@needs_confinement
@needs_zygote
def test_a_grading_forks_its_programs_from_one_zygote_that_ends_with_it(tmp_path: Path) -> None:
    alone = started(tmp_path / "seul", WAITS)
    assert ready(alone)
    alone.kill_tree()
    with confinement.kept_ready():
        first, second = started(tmp_path / "un", WAITS), started(tmp_path / "deux", WAITS)
        assert ready(first) and ready(second)
        (the_zygote,) = launch._zygotes
        launchers = [process._launched.popen for process in (first, second)]
        assert all(isinstance(launcher, zygote.ForkedLauncher) for launcher in launchers)
        assert {launcher.pid for launcher in launchers} <= procfs.family(the_zygote._popen.pid)
        assert first.layers == second.layers == alone.layers  # confined as a launcher started alone
        first.kill_tree()
        assert launchers[0].returncode is not None  # its end told by the zygote
        second.kill_tree()
    assert launch._zygotes == [] and the_zygote._popen.returncode == 0
    assert not set(surviving_processes())


@needs_confinement
@needs_zygote
def test_when_the_zygote_is_gone_its_launchers_are_still_waited_for_and_programs_start_alone(
    tmp_path: Path,
) -> None:
    with confinement.kept_ready():
        first = started(tmp_path / "un", WAITS)
        assert ready(first)
        (the_zygote,) = launch._zygotes
        the_zygote._popen.kill()
        the_zygote._popen.wait()
        later = [started(tmp_path / f"apres{n}", WAITS) for n in range(3)]  # the last ones start alone
        assert all(ready(process) for process in later)
        assert isinstance(later[-1]._launched.popen, subprocess.Popen)
        for process in (first, *later):
            process.kill_tree()
            assert process.poll() is not None
    assert not set(surviving_processes())


@pytest.mark.skipif(not LINUX, reason="les lanceurs ne sont démarrés d'avance que sous Linux")
@pytest.mark.parametrize("status_lines_read", [0, 1, 2], ids=["au démarrage", "PID 1 créé", "programme en attente"])
def test_a_launcher_never_used_ends_with_all_it_forked(tmp_path: Path, status_lines_read: int) -> None:
    """Ended at any moment of its start (before it forks, once it forked its namespace's PID 1, once the
    student's process waits for its order), an unused launcher leaves nothing: no_process_left checks it."""
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    spawned = launch._spawn(pipes, [], tmp_path)
    told = [spawned.status.readline() for _ in range(status_lines_read)]
    spawned.end()
    assert spawned.popen.returncode == 0, told  # it ended by itself, told there was no order


SITE_PROBE = """
import json, sys
folders = [folder for folder in sys.path if folder.endswith("-packages")]
builtins = [name for name in ("exit", "quit", "help", "copyright", "credits", "license") if name in dir(__builtins__)]
print(json.dumps([folders, builtins]), flush=True)
exit(3)
"""


def test_a_student_program_finds_what_python_script_gives_it(tmp_path: Path) -> None:
    """The launcher starts without `site` (-S) for speed: the program still finds site-packages on its path
    and the builtins `site` adds (a beginner's exit()), as when run as `python prog.py` (only what the .pth
    files would add is missing)."""
    at_home = tmp_path / "maison.py"
    at_home.write_text(SITE_PROBE, encoding="utf-8")
    home = subprocess.run([sys.executable, "-I", str(at_home)], capture_output=True, text=True, timeout=30)
    process = started(tmp_path, SITE_PROBE)
    assert process.wait_exit(15) == home.returncode == 3
    assert finished(process) == home.stdout.splitlines()


IN_A_VENV = """
import subprocess, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from grader.confinement import launch
workdir = Path(sys.argv[2])
pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
started = launch.start("prog.py", workdir=workdir, port=4321, popen_options=pipes)
print(started.popen.communicate()[0].decode(), end="")
"""
CHILD_PYTHON = """
import subprocess, sys
subprocess.run([sys.executable, "-c", "print('enfant')"], check=True)
"""


@pytest.mark.skipif(not LINUX, reason="les lectures ne sont limitées que sous Linux (Landlock)")
def test_in_a_venv_a_python_the_student_starts_starts(tmp_path: Path) -> None:
    """The kit installed in a venv (as .ci/run does): started without `site`, the launcher's Python does not
    see the venv as its prefix, yet the venv's folder stays readable for the Python a student's program
    starts (it reads the venv's pyvenv.cfg)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    workdir = tmp_path / "run" / "travail"
    workdir.mkdir(parents=True)
    (workdir / "prog.py").write_text(CHILD_PYTHON, encoding="utf-8")
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", IN_A_VENV, str(ROOT), str(workdir)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout == "enfant\n", done.stderr


WORKER = """
import contextlib, sys
from pathlib import Path
from grader import confinement
from grader.harness import procfs
from grader.harness.process import StudentProcess, kill_surviving_processes, surviving_processes
workdir = Path(sys.argv[1])
if sys.argv[2] != "lifeline":
    import os
    from grader.confinement import launch
    launch._lifeline.append(os.dup(0))  # a lifeline the test holds open: as if no launcher watched it
with confinement.kept_ready() if sys.argv[3] == "zygote" else contextlib.nullcontext():
    process = StudentProcess.start(workdir, "prog.py", port=4321, label="serveur")
    process.stdout.wait_line(lambda line: line == "prêt", 10)
    print("lancé", flush=True)
    sys.stdin.read()
"""


@needs_confinement
@pytest.mark.parametrize("started_by", ["seul", "zygote"])
@pytest.mark.parametrize("lifeline", ["lifeline", "subreaper"])
def test_a_grading_process_that_dies_takes_its_students_with_it(tmp_path: Path, lifeline: str, started_by: str) -> None:
    """A grader killed under its student's program (SIGKILL: nothing of its own runs): in a PID namespace,
    the launcher sees the grader's lifeline end and ends the namespace, and the zygote of a grading ends
    too. Where nothing watches the lifeline (no namespace), the program comes back to the batch parent (a
    subreaper), which finds it and ends it."""
    if lifeline == "lifeline" and launch.applied and startup.NAMESPACES not in launch.applied[0]:
        pytest.skip("ce système ne donne pas d'espace de noms PID aux programmes")
    workdir = tmp_path / "run" / "travail"
    workdir.mkdir(parents=True)
    (workdir / "prog.py").write_text("import os\nos.setsid()\nprint('prêt', flush=True)\ninput()\n", encoding="utf-8")
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(workdir), lifeline, started_by],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline() == "lancé\n"
        students = set(surviving_processes())
        assert students  # the launcher, PID 1 of its namespace and the program (or the program alone)
    finally:
        worker.kill()
        worker.wait()
    if lifeline == "lifeline":
        # All of them, not only those seen: a grading keeps a launcher ready, maybe forked after the look,
        # and its zygote, which is no student's program.
        assert wait_probing(lambda: not surviving_processes() and not left_in_this_session(), 5.0, [], 0.02)
        return
    assert students & set(surviving_processes())  # still running: the worker did not end them
    assert set(kill_surviving_processes()) >= students & set(procfs.descendants(os.getpid()))
    assert not students & set(surviving_processes())
