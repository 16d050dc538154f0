"""spinning(): a program burning the processor while it should wait is seen; one that waits is not."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from grader.harness import spinning as spinning_module
from grader.harness.spinning import spinning
from grader.harness.waiting import wait_probing
from tests.programs import switch_proc
from tests.test_harness_process import start

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is read on Linux only")

SPINNING_ON_EMPTY_RECV = """
    import socket, threading
    a, b = socket.socketpair()
    b.close()  # the peer is gone: every recv() returns b"" at once
    def loop():
        while True:
            a.recv(1024)
    threading.Thread(target=loop, daemon=True).start()
    print("pret", flush=True)
    input()
"""
WAITING = """
    print("pret", flush=True)
    input()
"""
TICKING = """
    import time
    print("pret", flush=True)
    while True:
        time.sleep(0.05)  # a loop with a deadline: never at rest, but no processor burnt
"""


def _started(tmp_path: Path, source: str):
    process = start(tmp_path, source)
    assert process.stdout.wait_line(lambda line: line == "pret", 10)
    return process


def test_a_loop_spinning_on_empty_recv_is_seen(tmp_path: Path) -> None:
    process = _started(tmp_path, SPINNING_ON_EMPTY_RECV)
    try:
        spin = spinning(process)
        assert spin is not None and spin.cpu_share >= spinning_module.MIN_CPU_SHARE
        assert "% d'un processeur pendant" in spin.french()
    finally:
        process.kill_tree()


@pytest.mark.parametrize("source", [WAITING, TICKING], ids=["input", "sleep"])
def test_a_waiting_program_is_told_without_the_whole_window(
    tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spinning_module, "WINDOW", 5.0)
    process = _started(tmp_path, source)
    try:
        began = time.monotonic()
        assert spinning(process) is None
        assert time.monotonic() - began < 2.5  # a couple of calm looks, not the window
    finally:
        process.kill_tree()


def test_an_ended_program_is_not_judged(tmp_path: Path) -> None:
    process = start(tmp_path, "print('fini')")
    assert process.wait_exit(10) == 0
    assert spinning(process) is None


@pytest.mark.parametrize("source", [SPINNING_ON_EMPTY_RECV, WAITING, TICKING], ids=["spin", "input", "sleep"])
def test_a_watch_riding_another_wait_ends_it_only_on_a_spin(tmp_path: Path, source: str) -> None:
    """S07 waits for a departure line with a SpinWatch as its stop: a spin ends the wait after one window,
    a program that waits never does (the wait goes to its own end)."""
    process = _started(tmp_path, source)
    try:
        watch = spinning_module.SpinWatch(process)
        ended = wait_probing(watch, 3 * spinning_module.WINDOW, [process], spinning_module.LOOK)
        assert ended == (source is SPINNING_ON_EMPTY_RECV) and (watch.spin is not None) == ended
    finally:
        process.kill_tree()


def test_without_proc_nothing_is_judged_and_nothing_waited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system cannot tell (no /proc), spinning() answers None at once: waiting out its window
    could not change the answer, and cost S07 and S11 half a second each."""
    monkeypatch.setattr(spinning_module, "WINDOW", 5.0)
    process = _started(tmp_path, SPINNING_ON_EMPTY_RECV)
    try:
        switch_proc(monkeypatch, on=False)
        began = time.monotonic()
        assert spinning(process) is None
        assert time.monotonic() - began < 1.0
    finally:
        process.kill_tree()
