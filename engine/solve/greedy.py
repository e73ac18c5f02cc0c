"""The dispatcher's greedy search beside another search, in a process of its own where it can.

The dispatcher's greedy search on the order of orders
(:func:`engine.dispatch.order_search`) is plain Python: in a thread it shares
the interpreter with the neighbourhood search's model building and gets about
half a core. In a child process it gets a whole one. The child is a fresh
interpreter running :func:`main` of this module (``python -c``), not a
``multiprocessing`` process: that would import the caller's main script again
in the child, which a script without a ``__main__`` guard does not survive,
and a daemonic process (a worker of a process pool) may not start one.

Parent and child talk over two pipes, in pickled messages: the parent sends
the problem, the start, the deadline and whether the dispatcher's compiled
loops are ready (if not, the child dispatches in Python rather than compile them
on the other core too), then the other search's better plans
(as orders of orders), :data:`READY` once the parent has compiled the loops (the
child then loads them from Numba's cache and goes on with them) and ``None`` to
stop; the child sends its better plans, at most a few a second, then ``None``
when it has ended, and waits for the parent to close its pipe before it exits,
so that nothing sent is lost. A child whose parent is gone (a killed solve)
stops after its current trial.

With little time left, or where no child process can be started, the search
runs in the calling thread instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from fractions import Fraction
from multiprocessing.connection import Connection

from engine import dispatch_kernels
from engine.dispatch import Dispatched, completion_order, order_search
from engine.problem import ProblemData
from engine.schedule import Schedule
from engine.solve.incumbent import Incumbent

MIN_SECONDS = 5.0
"""Below this many seconds left, the search runs in the calling thread instead (a new
interpreter takes about a second to import the engine)."""

SEND_EVERY = 0.2
"""Seconds between two plans the child sends (its last plan is always sent)."""

POLL = 0.05
"""Seconds the calling thread waits for a message before it looks at the shared plan."""

CHILD = (
    "import os, sys; from engine.solve.greedy import main; code = main(sys.argv[1:]); "
    "sys.stdout.flush(); sys.stderr.flush(); os._exit(code)"
)
"""The child's program: :func:`main` with the two pipes' file descriptors. Once the
parent has closed the pipes there is nothing left to do: the child leaves at once,
without freeing its plans one by one (half a second on 2,000 orders), which the
parent's solve would wait for."""

WAIT_FROM = 30.0
"""Seconds left from which the search in the calling thread first waits for the
dispatcher's loops if this process is compiling them (about 20 s once after installing;
a loaded plant of 2,000 orders at 60 s then ended at 13,342 instead of 14,770)."""

READY = "compiled loops ready"
"""The parent's message that the dispatcher's loops are in Numba's cache now."""

ENDING = 5.0
"""Seconds the calling thread waits for the child to end after telling it to stop."""


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
        a child process when at least :data:`MIN_SECONDS` are left. Where no child
        process can be started, it runs in this thread.
    """
    if in_process is None:
        in_process = deadline - time.monotonic() >= MIN_SECONDS
    if in_process:
        child = _Child.start()
        if child is not None:
            child.run(data, order, shared, deadline, seed, stop)
            return
    now = time.monotonic()
    if dispatch_kernels.warming() and deadline - now >= WAIT_FROM:
        # Compiling in this process, once after installing: a search in Python beside
        # it would halve the compiling's share of the interpreter, for a tenth of the
        # compiled search's pace. It waits, at most half the time left.
        dispatch_kernels.wait(now + (deadline - now) / 2)
    own = order.value
    adopted: Fraction | None = None

    def found(schedule: Schedule, value: Fraction) -> None:
        nonlocal own
        own = value
        shared.offer(schedule, value)

    def restart() -> list[int] | None:
        # Only a plan of the other search that is better than any the greedy search
        # has found, and newer than the last one taken up.
        nonlocal adopted
        best, value = shared.get()
        if value >= own or (adopted is not None and value >= adopted):
            return None
        adopted = value
        return completion_order(data, best)

    order_search(data, order, deadline, seed, found, stop=stop, restart=restart)


class _Child:
    """The child process as its parent sees it."""

    def __init__(self, process: subprocess.Popen[bytes], to: Connection, back: Connection):
        self._process = process
        self._to = to
        self._back = back
        self._halted = False

    @classmethod
    def start(cls) -> _Child | None:
        """A new child process, or None where none can be started."""
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        # The child imports the engine from wherever this process found it.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(down_r), str(up_w)],
                pass_fds=(down_r, up_w),
                # Its output must never mix with a plan written to this process's stdout.
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            for fd in (down_r, down_w, up_r, up_w):
                os.close(fd)
            return None
        os.close(down_r)
        os.close(up_w)
        return cls(process, Connection(down_w, readable=False), Connection(up_r, writable=False))

    def run(
        self,
        data: ProblemData,
        order: Dispatched,
        shared: Incumbent,
        deadline: float,
        seed: int,
        stop: threading.Event,
    ) -> None:
        """Hand the search to the child and its plans to ``shared`` until it has ended."""
        ended = False
        try:
            compiled = dispatch_kernels.ready()
            self._to.send((data, order, deadline, seed, os.getpid(), compiled))
            sent = shared.value
            while True:
                if stop.is_set() or time.monotonic() >= deadline:
                    self._halt()
                if self._back.poll(POLL):
                    # The child's plans only get better: of those waiting, the last is offered.
                    latest = None
                    while self._back.poll(0):
                        message = self._back.recv()
                        if message is None:
                            ended = True
                            break
                        latest = message
                    if latest is not None:
                        schedule, value = latest
                        shared.offer(schedule, value)
                        sent = min(sent, value)
                    if ended:
                        break
                    continue
                if self._process.poll() is not None:
                    break
                if not compiled and not self._halted and dispatch_kernels.ready():
                    compiled = True
                    self._to.send(READY)
                best, value = shared.get()
                if value < sent and not self._halted:
                    # The other search found a better plan: the child restarts from it.
                    sent = value
                    self._to.send((completion_order(data, best), value))
        except (EOFError, OSError):
            pass
        finally:
            self._halt()
            # The child waits for this pipe to close before it exits.
            self._to.close()
            try:
                self._process.wait(ENDING)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._back.close()
        if not ended and not stop.is_set():
            raise RuntimeError(
                f"the greedy search's process ended early (exit code {self._process.returncode})"
            )

    def _halt(self) -> None:
        if self._halted:
            return
        self._halted = True
        with contextlib.suppress(OSError):
            self._to.send(None)


class _Inbox:
    """The child's end of the parent's pipe: a stop signal and the other search's plans."""

    def __init__(self, conn: Connection, parent: int) -> None:
        self._conn = conn
        self._parent = parent
        self.halted = False
        self.other: tuple[list[int], Fraction] | None = None

    def read(self) -> None:
        """Take in every message waiting; a closed pipe stops the search too."""
        try:
            while not self.halted and self._conn.poll():
                message = self._conn.recv()
                if message is None:
                    self.halted = True
                elif message == READY:
                    # Compiled by the parent: loaded from Numba's cache in under a second.
                    dispatch_kernels.enable()
                    dispatch_kernels.warm_up_in_background()
                else:
                    self.other = message
        except (EOFError, OSError):
            self.halted = True

    def is_set(self) -> bool:
        """Whether the search should stop: told to, or its parent is gone."""
        self.read()
        return self.halted or os.getppid() != self._parent


def _child(down: Connection, up: Connection) -> None:
    """The child process: the greedy search, sending its better plans up."""
    data, order, deadline, seed, parent, compiled = down.recv()
    if compiled:
        # In Numba's cache: loaded in a fraction of a second.
        dispatch_kernels.warm_up_in_background()
    else:
        # Still being compiled by the parent: compiling them here too would take the
        # other core's time; this search dispatches in Python instead.
        dispatch_kernels.disable()
    inbox = _Inbox(down, parent)
    own: tuple[Schedule, Fraction] = (order.schedule, order.value)
    unsent: tuple[Schedule, Fraction] | None = None
    last_sent = 0.0

    def send() -> None:
        nonlocal unsent, last_sent
        if unsent is not None:
            up.send(unsent)
            unsent, last_sent = None, time.monotonic()

    def found(schedule: Schedule, value: Fraction) -> None:
        nonlocal own, unsent
        own = unsent = (schedule, value)
        if time.monotonic() - last_sent >= SEND_EVERY:
            send()

    def restart() -> list[int] | None:
        # The parent sends only plans better than any it had from here; each is taken up once.
        inbox.read()
        other, inbox.other = inbox.other, None
        return other[0] if other is not None and other[1] < own[1] else None

    order_search(data, order, deadline, seed, found, stop=inbox, restart=restart)
    send()
    up.send(None)
    # Read on until the parent closes its end: closing ours with unread data would
    # lose what the parent has not read yet.
    while True:
        down.recv()


def main(argv: list[str]) -> int:
    """Entry point of the child process (:data:`CHILD`), given its two pipes' descriptors."""
    down = Connection(int(argv[0]), writable=False)
    up = Connection(int(argv[1]), readable=False)
    try:
        _child(down, up)
    except (EOFError, OSError):
        pass
    finally:
        down.close()
        up.close()
    return 0
