"""Searches that improve a plan side by side, sharing the best plan so far.

On a job shop or flexible job shop (see :func:`engine.solve.tabu.applies`) the
tabu search runs in this thread while the sequence-holding neighbourhood
search runs CP-SAT in another (CP-SAT and the tabu search's compiled loops
release the interpreter, so both use a core): the tabu search orders work
and moves it between machines quickly, the neighbourhood search re-plans
whole groups of operations past the tabu search's local optima, and each
starts from the other's plan when it is better.

On a plant (:func:`improve_plant`) the time-window neighbourhood search runs
CP-SAT in this thread while the dispatcher's greedy search goes on in a
process of its own (:mod:`engine.solve.greedy`; a helper thread hands plans
between the two), from the order of orders that gave the plan: the greedy
search moves late orders ahead of others across the whole horizon, the
neighbourhood search re-times and re-sequences work within windows, and each
starts from the other's plan when it is better. On a large plant where
lateness and rejection make up most of the plan's objective, a second greedy
search with its own seed takes this thread instead: there the neighbourhood search gains little,
and two greedy searches find better orders of orders than one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction

from engine.build import BuiltModel
from engine.dispatch import ROLLING_FROM, Dispatched
from engine.problem import ProblemData
from engine.schedule import Schedule, terms
from engine.solve import greedy, lns, tabu
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

    def neighbourhoods(stop: threading.Event) -> None:
        improve_sequences(base, shared, deadline, max(1, workers - 1), seed, stop=stop)

    def searches() -> None:
        # The tabu search's loops are compiled once after installing: until they are
        # ready the neighbourhood search goes on alone, never past the deadline.
        if workers > 1 and not tabu.ready(deadline):
            return
        if workers == 1 and not tabu.ready():
            improve_sequences(base, shared, deadline, 1, seed)
            return
        _tabu_search(base, start, shared, deadline, seed)

    _side_by_side(searches, neighbourhoods if workers > 1 else None, "orderplan-lns")
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
    orders (seeded ``seed + 1``) takes one core and the time-window neighbourhood
    search the others. On a plant of :data:`~engine.dispatch.ROLLING_FROM` orders
    or more where lateness and rejection make up at least half of ``start``'s
    objective, a second greedy search takes a core too: with two
    workers it runs in this thread (seeded ``seed``) instead of the neighbourhood
    search, with more in a process of its own (seeded ``seed + 2``). Without
    ``order``, or with one worker, the neighbourhood search runs alone.
    """
    if order is None or workers < 2:
        return lns.improve(data, start, deadline, workers, seed, on_improve=on_improve)
    shared = Incumbent(data, start, on_improve)
    led = lateness_led(data, start)
    # Greedy searches in processes of their own; with two workers and a plan led by
    # lateness, the second runs in this thread instead of the window search.
    processes = 2 if led and workers > 2 else 1

    def greedy_searches(stop: threading.Event) -> None:
        def first() -> None:
            greedy.search(data, order, shared, deadline, seed + 1, stop)

        def second(inner: threading.Event) -> None:
            # Stopped when the first ends: at the deadline or when ``stop`` is set.
            greedy.search(data, order, shared, deadline, seed + 2, inner)

        _side_by_side(first, second if processes == 2 else None, "orderplan-greedy-2")

    def window_search() -> None:
        lns.improve(data, start, deadline, workers - processes, seed, shared=shared)

    def second_greedy_search() -> None:
        greedy.search(data, order, shared, deadline, seed, threading.Event(), in_process=False)

    _side_by_side(
        second_greedy_search if led and workers == 2 else window_search,
        greedy_searches,
        "orderplan-greedy",
    )
    shared.flush()
    return shared.get()[0]


def lateness_led(data: ProblemData, start: Schedule) -> bool:
    """Whether the plant is large and lateness and rejection make up most of the plan's
    objective: then two greedy searches serve better than one beside the window search.

    On smaller plants the window search's CP-SAT models cover much of the plan and
    keep their core."""
    if len(data.orders) < ROLLING_FROM:
        return False
    t = terms(data, start)
    return 2 * (t.tardiness + t.rejection) >= t.total


def _side_by_side(
    main: Callable[[], object],
    helper: Callable[[threading.Event], None] | None,
    name: str,
) -> None:
    """Run ``main`` in this thread and ``helper`` (if any) in a thread named ``name``.

    The helper is told to stop when ``main`` returns or raises (it ends after its
    current step), and is waited for; an error in the helper is raised here.
    """
    if helper is None:
        main()
        return
    failure: list[BaseException] = []
    stop = threading.Event()

    def run_helper() -> None:
        try:
            helper(stop)
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    thread = threading.Thread(target=run_helper, name=name, daemon=True)
    thread.start()
    try:
        main()
    finally:
        # Also when this thread is interrupted.
        stop.set()
        thread.join()
    if failure:
        raise failure[0]


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
