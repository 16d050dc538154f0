"""What the harness can see of a program at rest without waiting out a deadline: the typed bytes it left
unread in its stdin, and (Linux) what /proc shows its threads waiting for, its family, its TCP connections
and the grader's own reader threads; plus the waits built on it."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.harness import process as process_module
from grader.harness import procfs, rest, sockdiag
from grader.harness.process import StudentProcess
from grader.harness.waiting import SeenTwice, wait_or_rest, wait_probing
from tests.programs import start, switch_proc

LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="/proc is read on Linux only")

READS_STDIN = "print('prêt', flush=True)\nwhile True:\n    input()\n"
NEVER_READS = "print('prêt', flush=True)\nimport time\ntime.sleep(60)\n"
# A thread blocked in recv() on one end of a socket pair, and the main thread that waits for it to end,
# as a client does after exit when its receiving thread is not a daemon.
WAITS_FOR_A_READER = """
    import socket, threading
    gauche, droite = socket.socketpair()
    lecteur = threading.Thread(target=gauche.recv, args=(10,))
    lecteur.start()
    print('prêt', flush=True)
"""
# input() in a thread of its own, which the main thread waits for (a client's writing thread, not a daemon).
READS_IN_A_THREAD = """
    import threading
    print('prêt', flush=True)
    threading.Thread(target=input).start()
"""
# input() in the main thread, and a second thread that sleeps (not reading).
READS_WITH_A_SLEEPER = """
    import threading, time
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    print('prêt', flush=True)
    input()
"""


def started(folder: Path, source: str) -> StudentProcess:
    proc = start(folder, source)
    assert proc.stdout.wait_line(lambda line: line == "prêt", timeout=5)
    return proc


def settled(predicate: Callable[[], object], timeout: float = 3.0) -> bool:
    """True once predicate holds (a program needs a moment to reach its blocking call after printing)."""
    return bool(wait_probing(predicate, timeout, [], 0.02))


@pytest.mark.skipif(sys.platform == "win32", reason="FIONREAD: POSIX only")
def test_stdin_unread_tells_a_program_that_reads_from_one_that_does_not(tmp_path: Path) -> None:
    reader, sleeper = started(tmp_path / "lit", READS_STDIN), started(tmp_path / "dort", NEVER_READS)
    try:
        for proc in (reader, sleeper):
            assert proc.type_line("bonjour")
        assert settled(lambda: reader.stdin_unread() == 0)
        assert sleeper.stdin_unread() == len("bonjour\n")
    finally:
        reader.kill_tree()
        sleeper.kill_tree()
    assert reader.stdin_unread() is None  # stdin closed: nothing left to tell


def test_stdin_unread_is_unknown_without_ioctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_module, "ioctl", None)  # as on Windows
    proc = started(tmp_path, NEVER_READS)
    try:
        assert proc.type_line("bonjour")
        assert proc.stdin_unread() is None
    finally:
        proc.kill_tree()


@linux_only
def test_proc_shows_a_program_alone_in_input(tmp_path: Path) -> None:
    alone, with_sleeper = started(tmp_path / "seul", READS_STDIN), started(tmp_path / "deux", READS_WITH_A_SLEEPER)
    try:
        assert settled(lambda: rest.alone_at_keyboard(alone))
        assert rest.waiting_at_keyboard(alone)
        assert settled(lambda: procfs.waits(with_sleeper.pid) is None)  # asleep on a clock: not at rest
        assert not rest.alone_at_keyboard(with_sleeper) and not rest.waiting_at_keyboard(with_sleeper)
        assert not rest.held_by_readers(alone)
    finally:
        alone.kill_tree()
        with_sleeper.kill_tree()


@linux_only
def test_proc_shows_a_program_waiting_at_the_keyboard_in_a_thread_of_its_own(tmp_path: Path) -> None:
    """The main thread waits (with no deadline) for the thread that reads stdin: the program waits for a
    typed line as surely as when its main thread reads (client_tuto_jeton's C02: 3 s saved)."""
    reader = started(tmp_path, READS_IN_A_THREAD)
    try:
        assert settled(lambda: rest.waiting_at_keyboard(reader))
        assert not rest.alone_at_keyboard(reader)
        assert reader.type_line("bonjour")  # read: the thread ends, the program with it
        assert reader.wait_exit(5) == 0
    finally:
        reader.kill_tree()


@linux_only
def test_proc_shows_a_program_held_by_a_thread_blocked_in_recv(tmp_path: Path) -> None:
    held, sleeper = started(tmp_path / "retenu", WAITS_FOR_A_READER), started(tmp_path / "dort", NEVER_READS)
    try:
        assert settled(lambda: rest.held_by_readers(held))
        still = rest.stillness(held)
        assert still is not None and still.main.kind == procfs.THREAD and not still.reading(0)
        assert not rest.held_by_readers(sleeper) and rest.stillness(sleeper) is None
    finally:
        held.kill_tree()
        sleeper.kill_tree()
    assert procfs.waits(held.pid) is None and not rest.idle(held)  # gone: unknown, never at rest


# The main thread waits, with no deadline, for a lock that a second thread, busy meanwhile (select() with
# no wait, in a loop), releases once a line is typed; then the main thread sleeps on a clock and the second
# one reads stdin with no deadline. At no instant are both blocked with no deadline.
WAKES_THE_MAIN_THREAD = """
    import select, sys, threading, time
    verrou = threading.Lock()
    verrou.acquire()

    def reveille():
        while not select.select([sys.stdin], [], [], 0)[0]:
            pass
        sys.stdin.readline()
        verrou.release()
        sys.stdin.readline()

    threading.Thread(target=reveille, daemon=True).start()
    print('prêt', flush=True)
    verrou.acquire()
    time.sleep(60)
"""


# Where the kernel keeps each thread's scheduling counters, a look reads them; elsewhere its context switches.
COUNTERS = ["schedstat", "status"]


def _counted_by(counter: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if counter == "schedstat" and not procfs._schedstat_kept():
        pytest.skip("ce noyau ne tient pas /proc/<pid>/task/<tid>/schedstat (CONFIG_SCHED_INFO)")
    if counter == "status":
        monkeypatch.setattr(procfs, "_schedstat_kept", lambda: False)


@linux_only
@pytest.mark.parametrize("counter", COUNTERS)
def test_a_thread_that_ran_is_told_from_one_that_stayed_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counter: str
) -> None:
    _counted_by(counter, monkeypatch)
    echo = started(tmp_path, ECHOES)
    main = f"{procfs.PROC}/{echo.pid}/task/{echo.pid}"
    try:
        assert settled(lambda: procfs._unbounded_wait(procfs._syscall(main)) is not None)
        before = procfs._runs(main)
        assert before is not None and procfs._runs(main) == before
        assert echo.type_line("un") and echo.stdout.wait_line(lambda line: line == "reçu un", timeout=5)
        assert procfs._runs(main) != before
    finally:
        echo.kill_tree()


@linux_only
@pytest.mark.parametrize("counter", COUNTERS)
def test_a_look_proves_one_instant_not_threads_read_one_after_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counter: str
) -> None:
    """The main thread is read blocked (waiting for the lock); before the other thread is read, that one
    (busy then) wakes the main thread and blocks: read one after the other, both looked blocked, and a
    socketserver that never rests looked at rest so, once in a hundred gradings under load. Each thread
    is read again after the first pass: the main thread is seen asleep on a clock, so no rest."""
    _counted_by(counter, monkeypatch)
    proc = started(tmp_path, WAKES_THE_MAIN_THREAD)
    tasks = f"{procfs.PROC}/{proc.pid}/task"
    main = f"{tasks}/{proc.pid}"
    read = procfs._syscall
    torn: list[list[str]] = []

    def second_thread_reads_stdin() -> bool:
        return any(read(f"{tasks}/{name}")[:2] == ["0", "0x0"] for name in os.listdir(tasks) if name != str(proc.pid))

    def tearing_read(path: str) -> list[str]:
        fields = read(path)
        if path == main and not torn:
            torn.append(fields)
            assert proc.type_line("réveil")
            assert settled(lambda: procfs._unbounded_wait(read(main)) is None and second_thread_reads_stdin())
        return fields

    try:
        assert settled(lambda: (wait := procfs._unbounded_wait(read(main))) is not None and wait.kind == procfs.THREAD)
        monkeypatch.setattr(procfs, "_syscall", tearing_read)
        assert not rest.idle(proc)
        assert torn and procfs._unbounded_wait(torn[0]) == procfs.Wait(procfs.THREAD, -1)  # torn as planned
    finally:
        proc.kill_tree()


BUSY = "print('prêt', flush=True)\nwhile True:\n    pass\n"


@linux_only
def test_typed_input_left_by_a_program_idle_elsewhere_is_ignored(tmp_path: Path) -> None:
    reader, sleeper = started(tmp_path / "lit", READS_STDIN), started(tmp_path / "dort", NEVER_READS)
    busy, blocked = started(tmp_path / "calcule", BUSY), started(tmp_path / "bloque", WAITS_FOR_A_READER)
    try:
        for proc in (reader, sleeper, busy, blocked):
            assert proc.type_line("bonjour")
        assert settled(lambda: rest.ignores_input(blocked))  # every thread waits elsewhere, with no deadline
        assert settled(lambda: not reader.input_pending()) and not rest.ignores_input(reader)
        assert busy.input_pending() and not rest.ignores_input(busy)  # running: it might still read
        assert sleeper.input_pending() and not rest.ignores_input(sleeper)  # asleep: it may read on waking
    finally:
        for proc in (reader, sleeper, busy, blocked):
            proc.kill_tree()


def test_steady_needs_two_looks_in_a_row() -> None:
    answers = iter([True, False, True, True])
    steady = SeenTwice(lambda: next(answers))
    assert [steady(), steady(), steady(), steady()] == [False, False, False, True]
    assert steady.held


def test_a_throttled_steady_looks_once_per_interval_and_not_at_once() -> None:
    looks: list[float] = []
    steady = SeenTwice(lambda: looks.append(time.monotonic()) or True, every=0.05)
    made = time.monotonic()
    assert not steady() and looks == []  # no look before the first interval has passed
    assert wait_probing(steady, 2.0, [], 0.005)
    assert len(looks) == 2 and looks[0] - made >= 0.05 and looks[1] - looks[0] >= 0.05
    assert steady() and len(looks) == 2  # in between, what the last looks found


def test_wait_or_rest_ends_at_rest_but_still_tells_what_came() -> None:
    began = time.monotonic()
    assert not wait_or_rest(lambda: False, 5.0, [], lambda: True, 0.02)
    assert time.monotonic() - began < 1.0
    came: list[str] = []

    def at_rest_as_a_line_comes() -> bool:
        came.append("ligne")
        return True

    assert wait_or_rest(lambda: bool(came), 5.0, [], at_rest_as_a_line_comes, 0.02)  # looked at after the rest


def test_wait_probing_looks_again_without_any_source() -> None:
    began = time.monotonic()
    ready_at = began + 0.15
    assert wait_probing(lambda: time.monotonic() >= ready_at, 2.0, [], 0.02)
    assert time.monotonic() - began < 1.0
    assert not wait_probing(lambda: False, 0.1, [], 0.02)


# Every thread waits for something from outside, with no deadline: a thread in queue.get(), the main
# thread joining it, a child process in input().
IDLE_FAMILY = """
    import queue, subprocess, sys, threading
    enfant = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE)
    attente = threading.Thread(target=queue.Queue().get)
    attente.start()
    print('prêt', flush=True)
    attente.join()
"""
# The same with a thread that wakes up every 50 ms: a loop with a deadline may still act on its own.
WITH_A_TIMER = """
    import threading, time
    def tic():
        while True:
            time.sleep(0.05)
    threading.Thread(target=tic, daemon=True).start()
    print('prêt', flush=True)
    input()
"""
# A child whose own child sleeps: the family is looked at to its last generation.
SLEEPING_GRANDCHILD = """
    import subprocess, sys
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])"
    subprocess.Popen([sys.executable, "-c", code])
    print('prêt', flush=True)
    input()
"""


@linux_only
def test_idle_means_waiting_for_the_outside_with_no_deadline(tmp_path: Path) -> None:
    idle, timer = started(tmp_path / "repos", IDLE_FAMILY), started(tmp_path / "minuteur", WITH_A_TIMER)
    grandchild, busy = started(tmp_path / "petit", SLEEPING_GRANDCHILD), started(tmp_path / "calcule", BUSY)
    try:
        assert settled(lambda: len(procfs.family(idle.pid)) == 2 and len(procfs.family(grandchild.pid)) == 3)
        assert settled(lambda: rest.idle(idle))
        assert not any(rest.idle(proc) for proc in (timer, grandchild, busy) for _ in range(5))
        assert settled(lambda: procfs.waits(grandchild.pid) is not None)  # the parent alone is idle, not its family
    finally:
        for proc in (idle, timer, grandchild, busy):
            proc.kill_tree()
    assert procfs.waits(idle.pid) is None and not rest.idle(idle)  # gone: unknown, never idle


@linux_only
def test_a_program_alone_in_its_namespace_is_told_by_one_listing(tmp_path: Path) -> None:
    alone, parent = started(tmp_path / "seul", READS_STDIN), started(tmp_path / "parent", SLEEPING_GRANDCHILD)
    try:
        if procfs.namespace_pids(alone._launched.init or 0) is None:
            pytest.skip("les programmes n'ont pas ici d'espace de noms PID avec son propre /proc")
        assert alone._alone() and alone.family() == procfs.family(alone.pid) == {alone.pid}
        assert settled(lambda: len(procfs.family(parent.pid)) == 3)
        assert not parent._alone() and parent.family() == procfs.family(parent.pid)
        assert parent.tree_pids() == parent.family()
    finally:
        alone.kill_tree()
        parent.kill_tree()


@linux_only
def test_tcp_quiet_until_every_byte_is_acknowledged_and_read() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    server, _ = listener.accept()
    try:
        assert procfs.tcp_quiet(port)
        server.sendall(b"bonjour\n")  # to the client's side, not read yet
        assert not procfs.tcp_quiet(port)
        assert client.recv(100) == b"bonjour\n"
        assert settled(lambda: procfs.tcp_quiet(port))
        client.sendall(b"salut\n")  # the server's side leaves it unread: a server that does not read
        assert settled(lambda: procfs.tcp_quiet(port))
        listener.close()  # the connection stays, but no socket listens on the port: it cannot tell
        assert not procfs.tcp_quiet(port)
    finally:
        for sock in (client, server, listener):
            sock.close()


@pytest.mark.skipif(sockdiag.handshake_counted() is None, reason="sock_diag sans les octets reçus (Linux 4.1)")
def test_bytes_whose_acknowledgement_is_held_back_are_not_in_flight() -> None:
    """The server's kernel holds back its ACK (a delayed ACK, up to 40 ms: forced here by TCP_QUICKACK 0):
    the client's bytes are in the server's queue all the same. Counted as arrived once the grader says
    which end it connected; never while bytes wait to go (a window the reader does not empty)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the grader's (Nagle would hold it)
    server, _ = listener.accept()
    ends = {client.getsockname()[1]: True}
    held_back = 0
    try:
        for _ in range(5):
            server.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)  # the kernel forgets it at times
            client.sendall(b"salut\n")
            plain = procfs.tcp_quiet(port)
            assert procfs.tcp_quiet(port, ends)
            wrong_claim = procfs.tcp_quiet(port, {client.getsockname()[1]: False})
            # A wrong claim never helps while the acknowledgement is held back: still held once it is
            # answered means held while it was asked (on a slow machine, 40 ms can pass meanwhile).
            still_held = any(row.sent for row in sockdiag.tcp_rows(port) or [] if row.local in ends)
            assert not (wrong_claim and still_held)
            held_back += not plain
            assert server.recv(100) == b"salut\n"
        assert held_back  # the acknowledgement was held back at least once: the case was met
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the server reads no more...
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                client.send(b"x" * 65536)  # ...until the client's bytes wait to go
        assert not procfs.tcp_quiet(port, ends)
    finally:
        for sock in (client, server, listener):
            sock.close()


@linux_only
def test_a_reader_thread_of_the_grader_is_drained_only_while_it_waits_for_data() -> None:
    left, right = socket.socketpair()
    reader = threading.Thread(target=left.recv, args=(10,), daemon=True)
    sleeper = threading.Thread(target=time.sleep, args=(60,), daemon=True)  # asleep still on a loaded machine
    reader.start()
    sleeper.start()
    try:
        assert settled(lambda: procfs.own_thread_waiting(reader.native_id))
        assert procfs.own_thread_waiting(sleeper.native_id) is False  # asleep on a clock, not for data
    finally:
        right.sendall(b"fin")
        reader.join(5)
        left.close()
        right.close()
    assert settled(lambda: procfs.own_thread_waiting(reader.native_id) is None)  # ended (the OS thread a moment later)


# Each program waits with a deadline, as students write it (issue 13): never at rest, whatever the moment.
TIMED_WAITS = {
    "sleep": "import time\nprint('prêt', flush=True)\nwhile True:\n    time.sleep(0.3)\n",
    "recv avec délai": """
        import socket
        gauche, droite = socket.socketpair()
        gauche.settimeout(0.2)
        print('prêt', flush=True)
        while True:
            try:
                gauche.recv(10)
            except socket.timeout:
                pass
    """,
    "select avec délai": """
        import select, sys
        print('prêt', flush=True)
        while True:
            select.select([sys.stdin], [], [], 0.5)
    """,
    "accept avec délai": """
        import socket
        serveur = socket.create_server(("127.0.0.1", 0))
        serveur.settimeout(1.0)
        print('prêt', flush=True)
        while True:
            try:
                serveur.accept()
            except socket.timeout:
                pass
    """,
    "asyncio périodique": """
        import asyncio
        async def tic():
            while True:
                await asyncio.sleep(0.2)
        print('prêt', flush=True)
        asyncio.run(tic())
    """,
    "serve_forever": """
        import socketserver
        serveur = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
        print('prêt', flush=True)
        serveur.serve_forever()
    """,
    "verrou avec délai": """
        import threading
        verrou = threading.Lock()
        verrou.acquire()
        print('prêt', flush=True)
        while True:
            verrou.acquire(timeout=0.3)
    """,
}


@linux_only
@pytest.mark.parametrize("kind", sorted(TIMED_WAITS))
def test_a_program_with_a_timed_wait_is_never_at_rest(tmp_path: Path, kind: str) -> None:
    timed, untimed = started(tmp_path / "minute", TIMED_WAITS[kind]), started(tmp_path / "repos", READS_STDIN)
    try:
        assert settled(lambda: rest.idle(untimed))  # the same look finds a program without deadline at rest
        assert settled(lambda: procfs.waits(timed.pid) is None)
        assert not any(rest.idle(timed) or rest.stillness(timed) for _ in range(50))
    finally:
        timed.kill_tree()
        untimed.kill_tree()


def test_the_wait_table_tells_a_deadline_from_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc/<pid>/task/<tid>/syscall lines as x86-64 shows them: the number, six arguments, two addresses."""
    monkeypatch.setattr(procfs.platform, "machine", lambda: "x86_64")

    def wait(number: int, *arguments: int) -> procfs.Wait | None:
        padded = [*arguments, *[0] * (6 - len(arguments))]
        return procfs._unbounded_wait([str(number), *(hex(a) for a in padded), "0x7ffc", "0x7f00"])

    assert wait(0, 0, 0x5555, 8192) == procfs.Wait(procfs.DATA, 0)  # read(0): input()
    assert wait(45, 5, 0x5555, 1024) == procfs.Wait(procfs.DATA, 5)  # recvfrom(5): recv() with no timeout
    assert wait(7, 0x5555, 1, 0xFFFFFFFF) == procfs.Wait(procfs.LOOP, -1)  # poll(..., -1)
    assert wait(7, 0x5555, 1, 200) is None  # poll(..., 200): recv() after settimeout(0.2)
    assert wait(23, 4, 0x5555, 0, 0, 0) == procfs.Wait(procfs.LOOP, -1)  # select(..., None)
    assert wait(23, 4, 0x5555, 0, 0, 0x7FFC) is None  # select(..., 0.5)
    assert wait(232, 3, 0x5555, 10, 0xFFFFFFFF) == procfs.Wait(procfs.LOOP, -1)  # epoll_wait(..., -1)
    assert wait(232, 3, 0x5555, 10, 200) is None  # an asyncio loop with a timer
    assert wait(202, 0x5555, 128, 0, 0) == procfs.Wait(procfs.THREAD, -1)  # a lock, no timeout
    assert wait(202, 0x5555, 137, 0, 0x7FFC) is None  # a lock with a timeout (FUTEX_WAIT_BITSET)
    assert wait(202, 0x5555, 129, 1) is None  # FUTEX_WAKE: not a wait
    assert wait(61, -1 & 0xFFFFFFFF, 0x7FFC, 0, 0) == procfs.Wait(procfs.CHILD, -1)  # waitpid()
    for asleep in (35, 230):  # nanosleep, clock_nanosleep: time.sleep()
        assert wait(asleep, 0, 0x7FFC) is None
    assert procfs._unbounded_wait(["running"]) is None


@linux_only
def test_the_switch_turns_proc_off_as_on_windows_and_macos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = started(tmp_path, READS_STDIN)
    try:
        assert settled(lambda: rest.alone_at_keyboard(alone))
        switch_proc(monkeypatch, on=False)
        assert not procfs.available() and procfs.family(alone.pid) == set() and procfs.waits(alone.pid) is None
        assert not rest.idle(alone) and not rest.alone_at_keyboard(alone)
        assert procfs.listening_ports([alone.pid]) == [] and not procfs.tcp_quiet(1)
    finally:
        # /proc back on: the kill waits until the launched program's whole PID namespace is gone (with the
        # switch on, the student's program could still be dying when the session looks for leftovers).
        switch_proc(monkeypatch, on=True)
        alone.kill_tree()


# Prints each line it is typed, at once: while it is paused, nothing it is typed comes back.
ECHOES = "print('prêt', flush=True)\nwhile True:\n    print('reçu ' + input(), flush=True)\n"


@linux_only
def test_a_paused_program_does_nothing_until_the_pause_ends(tmp_path: Path) -> None:
    echo = started(tmp_path, ECHOES)
    try:
        with echo.paused() as paused:
            assert paused and procfs.stopped(echo.tree_pids())
            assert echo.type_line("un")
            assert not echo.stdout.wait_line(lambda line: line == "reçu un", timeout=0.3)
        assert not procfs.stopped(echo.tree_pids())
        assert echo.stdout.wait_line(lambda line: line == "reçu un", timeout=5)
    finally:
        echo.kill_tree()


def test_without_proc_nothing_is_paused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    echo = started(tmp_path, ECHOES)
    try:
        switch_proc(monkeypatch, on=False)
        with echo.paused() as paused:
            assert not paused
            assert echo.type_line("un")
            assert echo.stdout.wait_line(lambda line: line == "reçu un", timeout=5)
    finally:
        switch_proc(monkeypatch, on=True)
        echo.kill_tree()
