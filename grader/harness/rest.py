"""When nothing more can come from a student's program: the one notion of rest, and the waits it may end.

THE RULE. A wait of the grader (for a line, an exit, a file) may end before its deadline with "it will not
come" only when that is proven, never because it is merely late. It is proven when the program is AT REST:

1. every thread of the program and of its children is blocked, with NO DEADLINE, waiting for something
   from outside it (procfs.waits): read/recv, accept, select/poll/epoll without timeout, a lock or a
   join without timeout, a launcher's wait for its child. A `time.sleep()`, a `settimeout()`, a
   `select(..., 0.5)`, a `serve_forever()` (poll interval), an asyncio loop with a timer: the program may
   still act by itself, so it is NEVER at rest and every deadline is waited out in full;
2. no byte is in flight on its TCP connections (procfs.tcp_quiet): what was sent is acknowledged, or
   counted by the other end as received (an acknowledgement the kernel holds back, a delayed ACK, does
   not keep bytes in flight), and what reached a grader's socket was read by its reader (a reader
   blocked on a socket with unread bytes would have been woken: it shows as running, not at rest);
3. the grader has taken in everything the program produced (its stdout, its stderr and the
   connections given: each reader thread waits for more).

One look proves the three points at ONE instant: each thread is read twice (procfs.Look), and points 2 and
3 are looked at in between, while every thread is proven blocked. Read only once, one after the other,
threads seen blocked may have been woken before the last one was read: a socketserver's main thread seen
in Thread.start() (waiting, with no deadline, for the new thread), then the new thread seen in recv(),
made a program that is never at rest look so (and each join of that grading then waited out its settle).
It is believed only when seen at two looks in a row (waiting.SeenTwice), so a passing moment never counts.
A thread that data or a typed line has woken shows as running until it blocks again, so a loaded machine
makes a working program look busy, never at rest.

Every early conclusion of the checks goes through this module: `at_rest` itself, or a narrower variant
that also says what the threads at rest wait for (`ignores_input`: typed bytes nobody will read;
`waiting_at_keyboard` / `alone_at_keyboard`: a thread, or the only thread, in input();
`held_by_readers`: a main thread joining threads that wait for data). `idle` (point 1 alone) serves where
no connection or output is involved (the program will not exit by itself); `held_by_window`: the program
cannot go on until a client that reads nothing makes room (S08 resets that client then, so that a send in
progress fails, whatever the order of the threads), and `connection_gone`: a client's reset was taken in.
No check reads /proc itself.

One look here is NOT a rest and never ends a wait for what may still come: `serving`, a proof of life
(the main thread is back in its server loop, deadline or not), which tells that a connection the server
closed before the look was not closed by the program dying, so that a failure names the right cause.

Where rest cannot be proven (Windows, macOS, a machine whose system call numbers are not known, an
unreadable /proc, or GRADER_SANS_PROC set), every predicate here is False: the full deadlines apply.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from . import procfs
from .connection import LineConnection
from .process import StudentProcess


@dataclass(frozen=True)
class Stillness:
    """What the threads of a program at rest wait for: `main`, the program's main thread, and `threads`,
    every thread of the program and of its children (main included)."""

    main: procfs.Wait
    threads: list[procfs.Wait]

    def reading(self, fd: int) -> bool:
        return any(thread.reads(fd) for thread in self.threads)


def stillness(process: StudentProcess, meanwhile: Callable[[set[int]], bool] | None = None) -> Stillness | None:
    """What every thread of the program and of its children waits for, when each one waits with no
    deadline (point 1 of the rule), all of them at one instant (procfs.Look: each thread is read twice);
    None when one of them may act by itself, or when /proc cannot tell. `meanwhile`, if given, is looked
    at between the two readings, while every thread is proven blocked, given the program's processes
    (process.family(), as this look read them): None when it does not hold.
    `process.pid` is the student's own program (under a confining launcher too): its main thread is the
    program's."""
    look = procfs.Look()
    # The program's own threads first: a busy one ends the look before its children are even listed.
    own = look.add(process.pid)
    if own is None:
        return None
    threads = list(own)
    family = process.family()
    for child in sorted(family - {process.pid}):
        theirs = look.add(child)
        if theirs is None:
            return None
        threads += theirs
    if meanwhile is not None and not meanwhile(family):
        return None
    if not look.confirmed() or process.family() != family:
        return None
    return Stillness(own[0], threads)


def idle(process: StudentProcess) -> bool:
    """Point 1 of the rule: every thread of the program and of its children waits, with no deadline, for
    something from outside. It will not act, nor exit, by itself. False when unknown."""
    return stillness(process) is not None


def at_rest(process: StudentProcess, port: int, connections: Collection[LineConnection]) -> bool:
    """THE RULE: nothing more can come from the program until it gets input. It is idle, no byte is on its
    way over the TCP connections of `port` (the one it or the grader listens on), and the grader's readers
    have taken in all it printed and all that came on `connections`, the grader's ends. False when
    unknown."""
    readers = [process.stdout, process.stderr, *connections]
    opened_here = {connection.local_port: connection.opened_here for connection in connections}
    # The connections asked of the kernel one by one, when the grader knows both ends of each of them.
    ends = [(c.local_port, c.remote_port) for c in connections if c.remote_port is not None]
    known = ends if len(ends) == len(connections) else None

    def quiet(family: set[int]) -> bool:
        return all(reader.drained() is True for reader in readers) and procfs.tcp_quiet(
            port, opened_here, known, family
        )

    return stillness(process, quiet) is not None


def held_by_window(process: StudentProcess, port: int, peer: int) -> bool:
    """The program (on `port`) holds bytes for the connection of the client port `peer`, which takes in
    nothing more (its window is closed), and no thread of it is ready to run: a thread blocked in that send
    stays so until the client reads or leaves. Not a rest: a thread waiting on a clock may still act. The
    caller only chooses by it the moment of its next step (reset that client, or let another one arrive),
    which a correct program survives at any moment. False when unknown."""
    pids = [process.pid, *sorted(process.family() - {process.pid})]
    return bool(procfs.unsent(port, peer)) and procfs.asleep(pids) is True


def connection_gone(port: int, peer: int) -> bool:
    """The kernel no longer lists the connection of the program's `port` to the client port `peer`: the
    program's side took in that client's reset, and a thread reading that connection has been woken. Not a
    rest either: used as held_by_window is. False when unknown."""
    return procfs.available() and procfs.unsent(port, peer) is None


def ignores_input(process: StudentProcess) -> bool:
    """Typed bytes wait unread in the program's stdin while it is idle: nobody will read them before
    something else happens (a thread blocked on stdin, or on a select() that watches it, would have been
    woken by them). The bytes are looked at between the two readings of the threads, while every one is
    proven blocked. False when unknown."""
    still = stillness(process, lambda _family: process.input_pending())
    return still is not None and not still.reading(0)


def waiting_at_keyboard(process: StudentProcess) -> bool:
    """The program is idle, one of its threads blocked reading its stdin (in input(): the main thread, or
    a thread of its own while the main one waits for it), and it has read all that was typed: it is done
    with what it does by itself and waits for the next typed line. False when unknown."""
    still = stillness(process, lambda _family: process.stdin_unread() == 0)
    return still is not None and still.reading(0)


def alone_at_keyboard(process: StudentProcess) -> bool:
    """The program (children included) has one thread left, blocked reading its stdin: nothing it does
    can show or send anything before a line is typed. False when unknown."""
    still = stillness(process)
    return still is not None and len(still.threads) == 1 and still.main.reads(0)


def serving(process: StudentProcess) -> bool:
    """Not a rest, a proof of life: the program's main thread is blocked in its server loop (accept, select,
    poll, epoll), with or without a deadline. A program on its way out is not there (its threads are woken
    to exit; the interpreter's shutdown waits in a lock): what happened before this look (a connection
    closed, a send refused) was not the program dying. False when unknown."""
    return procfs.main_thread_wait(process.pid) == procfs.LOOP


def reading_keyboard(process: StudentProcess) -> bool | None:
    """Not a rest, a proof of life: a thread of the program is blocked reading its stdin (in input()), so
    it waits for what is typed. None when /proc cannot tell."""
    return procfs.reading(process.pid, 0)


def held_by_readers(process: StudentProcess) -> bool:
    """The program is idle, its main thread waiting for other threads (a join, or the interpreter's exit
    waiting for a non-daemon thread) while each of them waits for data: it will not end before data
    comes. False when unknown."""
    still = stillness(process)
    if still is None or len(still.threads) < 2 or still.main.kind != procfs.THREAD:
        return False
    return all(thread.kind == procfs.DATA for thread in still.threads if thread is not still.main)
