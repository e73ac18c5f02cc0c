"""The solver process may start the greedy search's process of a large plant."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue


def _report_children(queue: Queue[tuple[bool, bool, int | None]]) -> None:
    from api.worker import allow_children
    from engine.solve import greedy

    before = greedy.can_fork()
    allow_children()
    child = multiprocessing.get_context("spawn").Process(target=print, args=("",))
    child.start()
    child.join(30)
    queue.put((before, greedy.can_fork(), child.exitcode))


def test_a_daemonic_solver_process_may_start_a_process_of_its_own() -> None:
    context = multiprocessing.get_context("spawn")
    queue: Queue[tuple[bool, bool, int | None]] = context.Queue()
    solver = context.Process(target=_report_children, args=(queue,), daemon=True)
    solver.start()
    try:
        assert queue.get(timeout=60) == (False, True, 0)
    finally:
        solver.join(10)
