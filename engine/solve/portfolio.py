"""Searches that improve a plan side by side, sharing the best plan so far.

On a job shop or flexible job shop (see :func:`engine.solve.tabu.applies`) the
tabu search runs in this thread while the sequence-holding neighbourhood
search runs CP-SAT in another (CP-SAT and the tabu search's compiled loops
release the interpreter, so both use a core): the tabu search orders work
and moves it between machines quickly, the neighbourhood search re-plans
whole groups of operations past the tabu search's local optima, and each
starts from the other's plan when it is better.

On a plant (:func:`improve_plant`) the time-window neighbourhood search runs
CP-SAT in this thread while the dispatcher's iterated greedy search goes on
in another, from the order of orders that gave the plan: the greedy search
moves late orders ahead of others across the whole horizon, the
neighbourhood search re-times and re-sequences work within windows, and
the neighbourhood search starts from the greedy search's plans when they
are better."""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction

from engine.build import BuiltModel
from engine.dispatch import Dispatched, dispatch_in_order_of, iterated_greedy
from engine.problem import ProblemData
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
    order: Dispatched | None = None,
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
    order
        On a plant, the dispatched plan whose order of orders the greedy search
        goes on from (see :func:`improve_plant`).
    """
    if not tabu.applies(base.data):
        return improve_plant(base.data, start, deadline, workers, seed, on_improve, order)
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
        _tabu_search(base, start, shared, deadline, seed)
    finally:
        # Also when this thread is interrupted: the helper ends after its current step.
        stop.set()
        if workers > 1:
            helper.join()
    if failure:
        raise failure[0]
    shared.flush()
    return shared.get()[0]


def improve_plant(
    data: ProblemData,
    start: Schedule,
    deadline: float,
    workers: int,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
    order: Dispatched | None = None,
) -> Schedule:
    """Improve a plant's plan ``start`` until ``deadline`` and return the best schedule.

    With ``order`` and more than one worker, the greedy search on the order of
    orders takes one core and the time-window neighbourhood search the others;
    otherwise the neighbourhood search runs alone on every worker.
    """
    if order is None or workers < 2:
        return lns.improve(data, start, deadline, workers, seed, on_improve=on_improve)
    shared = Incumbent(data, start, on_improve)
    failure: list[BaseException] = []
    stop = threading.Event()

    def found(schedule: Schedule, value: Fraction) -> None:
        shared.offer(schedule, value)

    def restart() -> Dispatched | None:
        return dispatch_in_order_of(data, shared.get()[0])

    def greedy() -> None:
        try:
            iterated_greedy(data, order, deadline, seed + 1, found, stop=stop, restart=restart)
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    helper = threading.Thread(target=greedy, name="orderplan-greedy", daemon=True)
    helper.start()
    try:
        lns.improve(data, start, deadline, workers - 1, seed, shared=shared)
    finally:
        stop.set()
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
