"""StudentProcess: environment, stdin, bounded output, tracebacks, and the whole tree killed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from grader.harness import process as process_module
from grader.harness import procfs, timing
from grader.harness.process import surviving_processes
from grader.harness.scope import CheckScope
from grader.harness.waiting import wait_probing
from tests.programs import alive, start

LINUX = sys.platform.startswith("linux")


def test_environment_stdin_and_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONSTARTUP", "/nulle/part.py")
    monkeypatch.setenv("CHAT_PORT", "55555")
    monkeypatch.setenv("JETON_SECRET", "ne-doit-pas-fuir")
    proc = start(
        tmp_path,
        """
        import os
        for name in ("CHAT_HOTE", "CHAT_PORT", "PYTHONIOENCODING", "PYTHONSTARTUP", "EXTRA", "JETON_SECRET"):
            print(name, os.environ.get(name))
        print("HOME", os.environ["HOME"] == os.getcwd())
        nom = input("Entrez votre nom : ")
        print("Bonjour", nom)
        try:
            input()
        except EOFError:
            print("fin")
        """,
        env={"EXTRA": "oui"},
    )
    try:
        assert proc.stdout.wait_text(lambda text: text.endswith("Entrez votre nom : "), timeout=5)
        assert proc.type_line("Éloïse 🎉")
        assert proc.stdout.wait_line(lambda line: "Bonjour" in line, 5) == ("Entrez votre nom : Bonjour Éloïse 🎉")
        proc.close_stdin()
        assert proc.wait_exit(timeout=5) == 0
        assert proc.stdout.wait_eof(timeout=5)
        assert proc.stdout.lines()[:7] == [
            "CHAT_HOTE 127.0.0.1",
            "CHAT_PORT 4321",
            "PYTHONIOENCODING utf-8",
            "PYTHONSTARTUP None",
            "EXTRA oui",
            "JETON_SECRET None",
            "HOME True",
        ]
        assert proc.stdout.lines()[-1] == "fin"
        assert not proc.type_line("trop tard")
        assert not proc.has_traceback() and proc.traceback_tail() == ""
    finally:
        proc.kill_tree()


def test_traceback_is_kept(tmp_path: Path) -> None:
    proc = start(tmp_path, "print('démarrage')\nraise ValueError('port invalide')\n")
    try:
        assert proc.wait_exit(timeout=5) == 1
        assert proc.stderr.wait_eof(timeout=5)
        assert proc.has_traceback()
        assert proc.traceback_tail().splitlines() == [
            "Trace d'erreur (l'appel le plus récent en dernier) :",
            "  Fichier prog.py, ligne 2, dans <module>",
            "    raise ValueError('port invalide')",
            "ValueError: port invalide",
        ]
    finally:
        proc.kill_tree()


def test_flood_on_both_pipes_is_bounded_and_killed(tmp_path: Path) -> None:
    proc = start(
        tmp_path,
        """
        import sys
        ligne = "x" * 98 + "\\x1b\\n"
        while True:
            sys.stdout.write(ligne * 100)
            sys.stderr.write(ligne * 100 + "\\xff")
        """,
    )
    with CheckScope() as scope:
        scope.track(proc)
        assert proc.stdout.wait_text(lambda text: proc.stdout.total_bytes > 20_000_000, timeout=15)
    assert proc.poll() is not None and not alive(proc.pid)
    kept = sum(len(line) for line in proc.stdout.lines()) + sum(len(line) for line in proc.stderr.lines())
    assert kept < 600_000
    assert proc.stdout.truncated and "octets omis" in proc.stdout.text()
    evidence = scope.evidence()
    count = f"{proc.stdout.total_bytes:,}".replace(",", " ")
    assert f"Sortie du serveur, {count} octets en tout (dernières lignes) :\n  {'x' * 98}␛\n" in evidence
    assert "\x1b" not in evidence


def test_stdin_that_is_never_read_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "TYPE", 0.2)
    proc = start(tmp_path, "print('prêt', flush=True)\nimport time\ntime.sleep(60)\n")
    try:
        assert proc.stdout.wait_line(lambda line: line == "prêt", timeout=5)
        assert not proc.type_line("x" * 200_000)  # more than a pipe holds
    finally:
        proc.kill_tree()
    assert not alive(proc.pid)


CHILD_THAT_OUTLIVES = """
    import subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"])
"""

DOUBLE_FORK = """
    import os, sys, time
    lecture, ecriture = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(ecriture, f"{os.getpid()}\\n".encode())
            time.sleep(60)
        os._exit(0)
    print(os.read(lecture, 100).decode().strip(), flush=True)
    time.sleep(60)
"""


def _all_alive(pids: set[int]) -> bool:
    return bool(pids) and all(alive(pid) for pid in pids)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(CHILD_THAT_OUTLIVES, id="enfant-orphelin"),
        pytest.param(
            DOUBLE_FORK,
            id="double-fork-setsid",
            marks=pytest.mark.skipif(not LINUX, reason="escaping the group: caught by the Linux namespace"),
        ),
    ],
)
def test_kill_tree_kills_children_that_escape(tmp_path: Path, source: str) -> None:
    proc = start(tmp_path, source)
    try:
        line = proc.stdout.wait_line(lambda text: text.strip().isdigit(), timeout=5)
        assert line is not None, proc.stderr.text()
        # The pid the child printed is its own namespace's; the grader sees it as another number. The double
        # fork's first child ends once it forked: listed until its namespace's PID 1 has reaped it.
        if LINUX:
            assert wait_probing(lambda: _all_alive(proc.tree_pids() - {proc.pid}), 5.0, [], 0.02)
        children = proc.tree_pids() - {proc.pid} if LINUX else {int(line)}
        assert _all_alive(children)
        if LINUX:
            assert children <= set(surviving_processes())
    finally:
        proc.kill_tree()
    assert not any(alive(child) for child in children)
    assert not alive(proc.pid)
    if LINUX:
        assert not children & set(surviving_processes())
    proc.kill_tree()  # idempotent


@pytest.mark.skipif(not LINUX, reason="/proc")
def test_resource_usage_and_survivor_cleanup(tmp_path: Path) -> None:
    assert surviving_processes() == []
    proc = start(tmp_path, "print('prêt', flush=True)\nimport time\ntime.sleep(60)\n")
    try:
        assert proc.stdout.wait_line(lambda line: line == "prêt", timeout=5)
        usage = proc.resource_usage()
        assert usage is not None and usage[1] > 1_000_000
        assert proc.pid in surviving_processes()
        assert proc.pid in process_module.kill_surviving_processes()
        assert proc.wait_exit(timeout=5) is not None
    finally:
        proc.kill_tree()
    assert proc.resource_usage() is not None  # the figures measured when the tree was killed


def test_platform_guards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proc = start(tmp_path, "print('prêt', flush=True)\nimport time\ntime.sleep(60)\n")
    try:
        assert proc.stdout.wait_line(lambda line: line == "prêt", timeout=5)
        with monkeypatch.context() as elsewhere:
            elsewhere.setattr(sys, "platform", "darwin")
            elsewhere.setattr(procfs, "READABLE", False)  # what procfs found at import, elsewhere
            assert surviving_processes() == [] and proc.tree_pids() == set()
            assert proc.resource_usage() is None
            elsewhere.setattr(os, "name", "nt")
            assert process_module.isolation_options() == {
                "creationflags": getattr(process_module.subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
            }
        if os.name == "posix":
            assert process_module.isolation_options() == {"start_new_session": True}
    finally:
        proc.kill_tree()
    assert not alive(proc.pid)
