"""Solver execution: a pool of solver processes fed from the store's FIFO queue.

One dispatcher thread owns the processes. It starts the oldest queued jobs while
fewer than ``max_concurrent_solves`` run, each in a process of its own
(``spawn`` start method), reads their progress into the store, and kills a
process whose job is cancelled. Processes whose job ended normally stay warm
for the next job, so a solve does not pay for a fresh interpreter and the
OR-Tools import. Requests and the event loop never solve.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.orm import Session

from api import jobs, worker
from api.errors import NotFound
from api.store import Database

log = logging.getLogger("orderplan.api")


class Notifier:
    """Wakes coroutines that wait for any change of any job; they re-read the store.

    Waiters take a token before reading the store and wait on it after, so a
    change between the two is never missed.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver notifications to the coroutines of ``loop``."""
        self._loop = loop
        self.closed = False

    def token(self) -> asyncio.Event:
        """The event the next notification sets."""
        return self._event

    def notify(self) -> None:
        """Wake every waiter (safe from any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._fire)

    def close(self) -> None:
        """Wake every waiter for the last time (the service stops)."""
        self.closed = True
        self.notify()

    def _fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, token: asyncio.Event, timeout: float) -> None:
        """Wait until ``token`` is set or ``timeout`` seconds have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(token.wait(), timeout)


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    job_id: str | None = None


class Runner:
    """The dispatcher thread and its solver processes.

    Parameters
    ----------
    db
        The store.
    max_concurrent
        Solver processes at most.
    max_attempts
        Starts of a job before an interruption fails it.
    on_change
        Called (from the dispatcher thread) after every change of a job.
    """

    def __init__(
        self,
        db: Database,
        *,
        max_concurrent: int,
        max_attempts: int,
        on_change: Callable[[], None],
    ) -> None:
        self._db = db
        self._max = max_concurrent
        self._max_attempts = max_attempts
        self._on_change = on_change
        self._context = multiprocessing.get_context("spawn")
        self._slots: list[_Slot] = []
        self._cancels: deque[str] = deque()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread: threading.Thread | None = None

    # -- used by requests -------------------------------------------------------------

    def start(self) -> None:
        """Start the dispatcher thread."""
        self._thread = threading.Thread(target=self._run, name="orderplan-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now (a job was added)."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def cancel(self, job_id: str) -> None:
        """Kill the process solving ``job_id``, if any, and record the job as cancelled."""
        self._cancels.append(job_id)
        self.wake()

    def running(self) -> int:
        """Solver processes working on a job now."""
        return sum(1 for s in self._slots if s.job_id is not None)

    def stop(self) -> None:
        """Stop the dispatcher and every solver process; re-queue the jobs they solved."""
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._db.session() as session:
            for slot in list(self._slots):
                self._end_process(slot, session)
                if slot.job_id is not None:  # still unfinished after reading its last messages
                    jobs.requeue(
                        session,
                        slot.job_id,
                        "the server stopped while this job was solving; queued again",
                        self._max_attempts,
                    )
            session.commit()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._on_change()

    # -- the dispatcher thread --------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:
                # A store hiccup must not end the dispatcher: the jobs stay in the store.
                log.exception("solve dispatcher error")
                self._stop.wait(1.0)

    def _step(self) -> None:
        self._handle_cancels()
        self._fill()
        waitables: list[Any] = [self._wake_r]
        for slot in self._slots:
            waitables += [slot.conn, slot.process.sentinel]
        ready = wait(waitables, timeout=1.0)
        if self._wake_r in ready:
            with contextlib.suppress(BlockingIOError, OSError):
                os.read(self._wake_r, 4096)
        for slot in list(self._slots):
            if slot.conn in ready:
                self._drain(slot)
            if slot.process.sentinel in ready and slot in self._slots:
                self._died(slot)

    def _spawn(self) -> _Slot:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker.main,
            args=(theirs, os.getpid()),
            name="orderplan-solver",
            daemon=True,
        )
        process.start()
        # Our copy of the child's end must go, or reading would never see EOF on its death.
        theirs.close()
        slot = _Slot(process, ours)
        self._slots.append(slot)
        return slot

    def _fill(self) -> None:
        busy = self.running()
        if busy >= self._max:
            return
        with self._db.session() as session:
            for job_id in jobs.next_queued(session, self._max - busy):
                job = jobs.claim(session, job_id)
                if job is None:
                    continue
                content = jobs.scenario_content(session, job)
                params = {
                    "time_limit": job.time_limit,
                    "workers": job.workers,
                    "seed": job.seed,
                    "method": job.method,
                }
                try:
                    task = jobs.expedite_task(session, job)
                except NotFound as exc:
                    jobs.record_failed(session, job.id, exc.detail)
                    session.commit()
                    self._on_change()
                    continue
                slot = next((s for s in self._slots if s.job_id is None), None) or self._spawn()
                slot.job_id = job.id
                try:
                    slot.conn.send((job.id, content, params, task))
                except (OSError, EOFError):
                    self._died(slot)
                self._on_change()

    def _receive(self, slot: _Slot) -> list[tuple[str, str, dict[str, Any], Any]]:
        messages = []
        with contextlib.suppress(EOFError, OSError):
            while slot.conn.poll():
                messages.append(slot.conn.recv())
        return messages

    def _drain(self, slot: _Slot) -> None:
        messages = self._receive(slot)
        if messages:
            with self._db.session() as session:
                self._record(session, slot, messages)
                session.commit()
            self._on_change()

    def _record(
        self,
        session: Session,
        slot: _Slot,
        messages: list[tuple[str, str, dict[str, Any], Any]],
    ) -> None:
        # Several improving plans may wait in the pipe: every one is an event, but only
        # the last one's plan needs to be written.
        last_plan = max(
            (i for i, m in enumerate(messages) if m[0] == "progress" and m[3] is not None),
            default=-1,
        )
        for i, (kind, job_id, info, plan) in enumerate(messages):
            if kind == "progress":
                jobs.record_progress(session, job_id, info, plan if i == last_plan else None)
                session.flush()
            elif kind == "done":
                jobs.record_done(session, job_id, info["status"], plan, info.get("preview"))
                slot.job_id = None
            elif kind == "error":
                jobs.record_failed(session, job_id, info["error"])
                slot.job_id = None

    def _end_process(self, slot: _Slot, session: Session) -> None:
        if slot.job_id is not None:
            slot.process.kill()
            slot.process.join(timeout=5)
            messages = self._receive(slot)
            if messages:
                self._record(session, slot, messages)
        else:
            slot.conn.close()
            slot.process.join(timeout=2)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(timeout=5)
        with contextlib.suppress(OSError):
            slot.conn.close()
        if slot in self._slots:
            self._slots.remove(slot)

    def _handle_cancels(self) -> None:
        while self._cancels:
            job_id = self._cancels.popleft()
            slot = next((s for s in self._slots if s.job_id == job_id), None)
            if slot is None:
                continue
            with self._db.session() as session:
                self._end_process(slot, session)
                if slot.job_id == job_id:
                    jobs.record_cancelled(session, job_id)
                session.commit()
            self._on_change()

    def _died(self, slot: _Slot) -> None:
        slot.process.join(timeout=5)
        with self._db.session() as session:
            messages = self._receive(slot)
            if messages:
                self._record(session, slot, messages)
            if slot.job_id is not None:
                code = slot.process.exitcode
                jobs.record_failed(
                    session,
                    slot.job_id,
                    f"the solver process ended unexpectedly (exit code {code})",
                )
            session.commit()
        with contextlib.suppress(OSError):
            slot.conn.close()
        if slot in self._slots:
            self._slots.remove(slot)
        self._on_change()
