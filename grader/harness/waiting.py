"""Event-driven waits over several sources at once (pipes, sockets, processes, listeners).

A source is an `Observable`: each time something happens to it (a line, an end of file, a connection,
an exit), it calls its observers. `wait_for` sleeps on a condition that every watched source pokes, so a
wait ends as soon as the awaited thing happens, or at its deadline; it never polls on a clock.
`wait_probing` is for the few conditions no source can tell about (how full a pipe is, what /proc shows):
it looks again at a short interval as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


class Observable:
    """Something that changes over time and tells its observers each time it does."""

    def __init__(self) -> None:
        self._observers: list[Callable[[], None]] = []
        self._observers_lock = threading.Lock()

    def watch(self, callback: Callable[[], None]) -> None:
        with self._observers_lock:
            self._observers.append(callback)

    def unwatch(self, callback: Callable[[], None]) -> None:
        with self._observers_lock:
            if callback in self._observers:
                self._observers.remove(callback)

    def _notify_observers(self) -> None:
        """Call with none of the source's own locks held (observers take their own locks)."""
        with self._observers_lock:
            observers = list(self._observers)
        for callback in observers:
            callback()


def wait_for(predicate: Callable[[], T], timeout: float, sources: Iterable[Observable]) -> T:
    """Wait until predicate() is truthy or the timeout passes; return its last value.

    The predicate is evaluated at once, then after each change of any source.
    """
    condition = threading.Condition()

    def poke() -> None:
        with condition:
            condition.notify_all()

    watched = list(sources)
    for source in watched:
        source.watch(poke)
    try:
        with condition:
            return condition.wait_for(predicate, timeout=max(0.0, timeout))
    finally:
        for source in watched:
            source.unwatch(poke)


def wait_probing(predicate: Callable[[], T], timeout: float, sources: Iterable[Observable], probe_s: float) -> T:
    """wait_for, for a predicate that also reads something no source tells about: it is evaluated at
    each change of a source, and at least every probe_s."""
    deadline = time.monotonic() + timeout
    while True:
        result = wait_for(predicate, min(probe_s, deadline - time.monotonic()), sources)
        if result or time.monotonic() >= deadline:
            return result


def wait_or_rest(
    predicate: Callable[[], object],
    timeout: float,
    sources: Iterable[Observable],
    at_rest: Callable[[], bool],
    probe_s: float,
) -> bool:
    """wait_probing(predicate), ended sooner once at_rest() holds at two looks in a row, probe_s apart
    (SeenTwice): a program at rest does nothing more before it gets input, so what has not come by then
    will not come. at_rest() is looked at before predicate(), so that nothing that came before it is
    missed. Returns whether predicate() holds."""
    rest = SeenTwice(at_rest, every=probe_s)

    def done_or_resting() -> bool:
        resting = rest()
        return bool(predicate()) or resting

    wait_probing(done_or_resting, timeout, sources, probe_s)
    return bool(predicate())


class SeenTwice:
    """A condition that holds once its predicate was true at two looks in a row: a lasting state (what
    /proc shows of a program at rest), not a passing moment. Call it as a predicate; `held` tells after.

    With `every`, it looks at most once per `every` seconds, the first time `every` after it was made (a
    look that reads much of /proc is not repeated at each line that arrives); in between, a call tells
    what the last looks found."""

    def __init__(self, predicate: Callable[[], bool], every: float = 0.0) -> None:
        self._predicate = predicate
        self._looks = [False, False]
        self._every = every
        self._next_look = time.monotonic() + every

    def __call__(self) -> bool:
        if self._every:
            now = time.monotonic()
            if now < self._next_look:
                return self.held
            self._next_look = now + self._every
        self._looks = [self._looks[-1], bool(self._predicate())]
        return self.held

    @property
    def held(self) -> bool:
        return all(self._looks)


class LineSource(Observable):
    """An Observable made of numbered lines that may come to an end (a pipe, a socket)."""

    def snapshot(self, since: int) -> tuple[list[str], int, bool]:
        """(kept lines numbered `since` or later, number of the next line, True if no more will come)."""
        raise NotImplementedError

    def mark(self) -> int:
        """The number of the next line to come: lines(mark()) holds only lines that came after."""
        raise NotImplementedError

    def lines(self, since: int = 0) -> list[str]:
        """The kept lines numbered `since` or later."""
        raise NotImplementedError

    def drained(self) -> bool | None:
        """Whether everything that arrived so far is in the lines (its reader waits for more, or the
        source has ended); None when the system cannot tell."""
        return None

    def wait_line(self, predicate: Callable[[str], bool], timeout: float, since: int = 0) -> str | None:
        """The first line numbered `since` or later that satisfies predicate; None at the deadline or
        when the source has ended without one."""
        found = first_match({self: since}, predicate, timeout)
        return found[1] if found else None


def first_match(
    cursors: dict[LineSource, int],
    predicate: Callable[[str], bool],
    timeout: float,
    *,
    stop: Callable[[], bool] | None = None,
    also: Iterable[Observable] = (),
    probe_s: float | None = None,
) -> tuple[LineSource, str] | None:
    """The first (source, line) satisfying predicate among the lines of each source from its cursor.

    None at the deadline, when every source has ended, or when stop() becomes true (it is evaluated
    after each change of a source or of `also`, and at least every probe_s if given; before the lines
    are looked at, so that a line that came before stop() held is never missed). Each line is tested once.
    """
    cursors = dict(cursors)

    def scan() -> list[tuple[LineSource, str] | None]:
        stopping = stop is not None and stop()
        all_finished = True
        for source, cursor in cursors.items():
            new, end, finished = source.snapshot(cursor)
            for line in new:
                if predicate(line):
                    return [(source, line)]
            cursors[source] = end
            all_finished = all_finished and finished
        return [None] if all_finished or stopping else []

    sources = [*cursors, *also]
    result = wait_for(scan, timeout, sources) if probe_s is None else wait_probing(scan, timeout, sources, probe_s)
    return result[0] if result else None
