"""Searches that improve a plan side by side, sharing the best plan so far.

On a job shop or flexible job shop (see :func:`engine.solve.tabu.applies`) the
tabu search runs in this thread while the sequence-holding neighbourhood
search runs CP-SAT in another (CP-SAT and the tabu search's compiled loops
release the interpreter, so both use a core): the tabu search orders work
and moves it between machines quickly, the neighbourhood search re-plans
whole groups of operations past the tabu search's local optima, and each
starts from the other's plan when it is better. Elsewhere the time-window
neighbourhood search takes this thread's place."""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction

from engine.build import BuiltModel
from engine.schedule import Schedule
from engine.solve import lns, tabu
from engine.solve.incumbent import Incumbent
from engine.solve.sequence import improve_sequences


def improve(
    base: BuiltModel,
    start: Schedule,
    deadline: float,
    workers: int,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
) -> Schedule:
    """Improve ``start`` until ``deadline`` (monotonic clock) and return the best schedule.

    Parameters
    ----------
    base
        The whole model of the problem (copied by each neighbourhood step, never changed).
    start
        A feasible schedule.
    deadline
        Monotonic clock time at which to stop.
    workers
        Cores to use: the tabu search takes one of them where it applies.
    seed
        Seed of every search.
    on_improve
        Called with improving schedules and their objective totals, a few per second at most.
    """
    shared = Incumbent(base.data, start, on_improve)
    failure: list[BaseException] = []
    stop = threading.Event()

    def neighbourhoods() -> None:
        try:
            improve_sequences(base, shared, deadline, max(1, workers - 1), seed, stop=stop)
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    helper = threading.Thread(target=neighbourhoods, name="orderplan-lns", daemon=True)
    if workers > 1:
        helper.start()
    try:
        if tabu.applies(base.data):
            _tabu_search(base, start, shared, deadline, seed)
        else:
            lns.improve(base.data, start, deadline, 1, seed, shared=shared)
    finally:
        # Also when this thread is interrupted: the helper ends after its current step.
        stop.set()
        if workers > 1:
            helper.join()
    if failure:
        raise failure[0]
    shared.flush()
    return shared.get()[0]


def _tabu_search(
    base: BuiltModel, start: Schedule, shared: Incumbent, deadline: float, seed: int
) -> None:
    """Tabu search that hands its improvements to ``shared`` and restarts from better ones."""
    seen = [shared.value]

    def restart_from() -> Schedule | None:
        schedule, value = shared.get()
        if value < seen[0]:
            seen[0] = value
            return schedule
        return None

    def found(schedule: Schedule) -> None:
        if shared.offer(schedule):
            seen[0] = shared.value

    tabu.tabu_search(base.data, start, deadline, seed, on_improve=found, restart_from=restart_from)
