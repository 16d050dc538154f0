"""The ports given to student servers: drawn from a range no system hands out to outgoing connections,
one block per grading of a class running at the same time, and never one that a server could not bind."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.batch.runner import _Pool
from grader.harness import ports
from grader.harness.exercise import HOST
from tests.grading import ROOT

EPHEMERAL = (range(32768, 61000), range(49152, 65536))  # Linux; Windows and macOS


@pytest.fixture
def block_in_use() -> Iterator[None]:
    yield
    ports.use_block(ports.SERVER_PORTS)


def _listening(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, port))
    listener.listen()
    return listener


def _two_free_neighbours() -> int:
    for port in range(ports.SERVER_PORTS.start + 500, ports.SERVER_PORTS.stop - 1, 7):
        try:
            _listening(port).close()
            _listening(port + 1).close()
        except OSError:
            continue
        return port
    pytest.skip("aucune paire de ports libres dans la plage des serveurs")


@pytest.mark.parametrize("count", [1, 2, 3, 4, 8])
def test_blocks_do_not_overlap_and_stay_out_of_ephemeral_ports(count):
    blocks = ports.blocks(count)
    every_port = [port for block in blocks for port in block]
    assert len(blocks) == count and len(every_port) == len(set(every_port)) > 1000 * 8 // count
    assert all(port in ports.SERVER_PORTS for port in every_port)
    assert not any(port in ephemeral for port in every_port for ephemeral in EPHEMERAL)


def test_a_port_in_use_is_never_handed_out(block_in_use):
    first = _two_free_neighbours()
    ports.use_block(range(first, first + 2))
    with _listening(first):
        assert {ports.free_port() for _ in range(30)} == {first + 1}


def test_a_block_all_taken_leaves_the_choice_to_the_system(block_in_use):
    first = _two_free_neighbours()
    ports.use_block(range(first, first + 1))
    with _listening(first):
        port = ports.free_port()
        assert port != first
        _listening(port).close()  # a server could bind it


@pytest.mark.parametrize(("line", "block"), [(b"21000 21100\n", range(21000, 21100)), (b"\n", None), (b"", None)])
def test_a_grading_process_draws_from_the_block_its_turn_gives(line, block):
    probe = (
        "from grader.batch import child; from grader.harness import ports; block = child._my_turn(); "
        "print(block is None or (ports.use_block(block), ports.free_port() in block)[1], block)"
    )
    done = subprocess.run([sys.executable, "-c", probe], input=line, capture_output=True, cwd=ROOT, timeout=60)
    assert done.stdout.decode().strip() == f"True {block}", done.stderr.decode()


class _FakeWorker:
    """Stands for a grading: holds its block for a moment, and tells if another running one held it too."""

    def __init__(self, in_use: set[range], lock: threading.Lock) -> None:
        self.in_use, self.lock = in_use, lock
        self.block: range | None = None
        self.shared = False

    def start(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def run(self, block: range) -> None:
        with self.lock:
            self.shared, self.block = block in self.in_use, block
            self.in_use.add(block)
        time.sleep(0.02)
        with self.lock:
            self.in_use.discard(block)


def test_gradings_running_together_never_share_a_block():
    in_use: set[range] = set()
    lock = threading.Lock()
    workers = [_FakeWorker(in_use, lock) for _ in range(12)]
    pool = _Pool(workers, jobs=3)  # type: ignore[arg-type]  # what the pool asks of a worker, no more
    with ThreadPoolExecutor(max_workers=3) as executor:  # as grade_all runs them
        list(executor.map(pool.run, workers))
    assert not any(worker.shared for worker in workers)
    assert {worker.block for worker in workers} <= set(ports.blocks(3))
