"""The dispatcher's greedy search beside another search, in a process of its own where it can.

The iterated greedy search (:func:`engine.dispatch.iterated_greedy`) is plain
Python: in a thread it shares the interpreter with the neighbourhood search's
model building and gets about half a core. In a child process (``spawn``, so
that no lock of this process's threads is inherited) it gets a whole one. The
child sends its better plans back, at most a few a second, and restarts from
the best plan of the other search when that one is better than its own.

A process cannot always be started: a daemonic process (a worker of a process
pool) may not have children, and a short remaining time does not pay for a
new interpreter. The search then runs in the calling thread, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from fractions import Fraction
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Event

from engine.dispatch import Dispatched, Stop, completion_order, iterated_greedy
from engine.problem import ProblemData
from engine.schedule import Schedule
from engine.solve.incumbent import Incumbent

MIN_SECONDS = 3.0
"""Below this many seconds left, the search runs in the calling thread instead."""

SEND_EVERY = 0.2
"""Seconds between two plans the child sends (its last plan is always sent)."""

POLL = 0.05
"""Seconds the calling thread waits for a message before it looks at the shared plan."""


def can_fork() -> bool:
    """Whether this process may start a child process (a daemonic one may not)."""
    return not multiprocessing.current_process().daemon


def search(
    data: ProblemData,
    order: Dispatched,
    shared: Incumbent,
    deadline: float,
    seed: int,
    stop: threading.Event,
    *,
    in_process: bool | None = None,
) -> None:
    """Improve ``shared`` by the greedy search from ``order`` until ``deadline`` or ``stop``.

    Parameters
    ----------
    data
        The problem on its minute grid.
    order
        The dispatched plan whose order of orders the search starts from.
    shared
        The best plan so far, which another search improves too.
    deadline
        Monotonic clock time at which to stop.
    seed
        Random seed of the search.
    stop
        Set to end the search early.
    in_process
        True runs the search in a child process, False in this thread; by default
        a child process where one may be started and at least :data:`MIN_SECONDS`
        are left.
    """
    if in_process is None:
        in_process = can_fork() and deadline - time.monotonic() >= MIN_SECONDS
    if in_process:
        try:
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe(duplex=True)
            halt = context.Event()
        except OSError:
            # No process-shared semaphores here (some sandboxes): a thread will do.
            pass
        else:
            _in_child(data, order, shared, deadline, seed, stop, context, ours, theirs, halt)
            return

    own = order.value

    def found(schedule: Schedule, value: Fraction) -> None:
        nonlocal own
        own = value
        shared.offer(schedule, value)

    adopted: Fraction | None = None

    def restart() -> list[int] | None:
        # Only a plan of the other search that is better than any the greedy search
        # has found, and newer than the last one taken up.
        nonlocal adopted
        best, value = shared.get()
        if value >= own or (adopted is not None and value >= adopted):
            return None
        adopted = value
        return completion_order(data, best)

    iterated_greedy(data, order, deadline, seed, found, stop=stop, restart=restart)


def _in_child(
    data: ProblemData,
    order: Dispatched,
    shared: Incumbent,
    deadline: float,
    seed: int,
    stop: threading.Event,
    context: SpawnContext,
    ours: Connection,
    theirs: Connection,
    halt: Event,
) -> None:
    child = context.Process(
        target=_child_main,
        args=(theirs, halt, os.getpid(), data, order, deadline, seed),
        name="orderplan-greedy",
        daemon=True,
    )
    child.start()
    theirs.close()
    sent = shared.value
    try:
        while True:
            if stop.is_set() or time.monotonic() >= deadline:
                halt.set()
            try:
                if ours.poll(POLL):
                    message = ours.recv()
                    if message is None:
                        break
                    schedule, value = message
                    shared.offer(schedule, value)
                    sent = min(sent, value)
                    continue
                if not child.is_alive():
                    break
                best, value = shared.get()
                if value < sent and not halt.is_set():
                    # The other search found a better plan: the child restarts from it.
                    sent = value
                    ours.send((completion_order(data, best), value))
            except (EOFError, OSError):
                break
    finally:
        halt.set()
        # The child waits for this end to close before it ends, so nothing sent is lost.
        ours.close()
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()
    if child.exitcode != 0 and not stop.is_set():
        raise RuntimeError(f"the greedy search's process ended with exit code {child.exitcode}")


def _child_main(
    conn: Connection,
    halt: Stop,
    parent: int,
    data: ProblemData,
    order: Dispatched,
    deadline: float,
    seed: int,
) -> None:
    """The child process: the greedy search, sending its better plans to ``conn``."""
    own: tuple[Schedule, Fraction] = (order.schedule, order.value)
    unsent: tuple[Schedule, Fraction] | None = None
    last_sent = 0.0
    other: tuple[list[int], Fraction] | None = None

    def send() -> None:
        nonlocal unsent, last_sent
        if unsent is not None:
            conn.send(unsent)
            unsent, last_sent = None, time.monotonic()

    def found(schedule: Schedule, value: Fraction) -> None:
        nonlocal own, unsent
        own = unsent = (schedule, value)
        if time.monotonic() - last_sent >= SEND_EVERY:
            send()

    def restart() -> list[int] | None:
        # The parent sends only plans better than any it had from here; each is taken up once.
        nonlocal other
        while conn.poll():
            other = conn.recv()
        if other is None or other[1] >= own[1]:
            return None
        sequence, other = other[0], None
        return sequence

    try:
        stop = _Orphaned(halt, parent)
        iterated_greedy(data, order, deadline, seed, found, stop=stop, restart=restart)
        send()
        conn.send(None)
        # Read whatever the parent still sends until it closes its end: closing ours
        # with unread data would lose what it has not read yet.
        while True:
            conn.recv()
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


class _Orphaned:
    """Set when the parent sets ``halt`` or has died (a killed solve leaves no search behind)."""

    def __init__(self, halt: Stop, parent: int) -> None:
        self._halt = halt
        self._parent = parent

    def is_set(self) -> bool:
        return self._halt.is_set() or os.getppid() != self._parent


__all__ = ["MIN_SECONDS", "can_fork", "search"]
