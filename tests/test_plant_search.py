"""The searches that improve a plant's plan: the greedy search on the order of orders,
its restarts, and the portfolio that runs it beside the neighbourhood search."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from engine.check import check_plan
from engine.dispatch import (
    Dispatched,
    _costs_of,
    _moved,
    _order_costs,
    _run,
    completion_order,
    dispatch_order,
    iterated_greedy,
    rolling_greedy,
)
from engine.io import scenario_from_data
from engine.model import Scenario, Status
from engine.problem import ProblemData, build_problem
from engine.schedule import Schedule, compact, make_plan, terms
from engine.solve import greedy, lns, portfolio
from engine.solve.incumbent import Incumbent


@cache
def _loaded(orders: int, seed: int) -> tuple[Scenario, ProblemData]:
    scenario = scenario_from_data(generate(orders, seed, load=0.8, due_scale=0.5))
    return scenario, build_problem(scenario)


def _checked(scenario: Scenario, data: ProblemData, schedule: Schedule) -> None:
    plan = make_plan(data, compact(data, schedule), Status.FEASIBLE)
    report = check_plan(scenario, plan)
    assert report.ok, report.violations


def _start(data: ProblemData) -> Dispatched:
    found = dispatch_order(data)
    assert found is not None
    return found


def test_dispatch_in_completion_order_of_a_plan_gives_a_checked_plan() -> None:
    scenario, data = _loaded(30, 2)
    start = _start(data)
    sequence = completion_order(data, start.schedule)
    assert sorted(sequence) == list(range(len(data.orders)))
    again = _run(data, sequence)
    assert again is not None
    firm = [o.index for o in data.orders if o.firm]
    assert all(again.accepted[i] for i in firm)
    _checked(scenario, data, again)


def test_greedy_search_restarts_from_the_plan_it_is_given_after_a_stall() -> None:
    scenario, data = _loaded(20, 5)
    start = _start(data)
    restarts: list[float] = []

    def restart() -> list[int]:
        restarts.append(time.monotonic())
        return completion_order(data, start.schedule)

    best = iterated_greedy(data, start, time.monotonic() + 1.0, 0, restart=restart, restart_after=1)
    assert restarts
    assert best.value <= start.value
    assert best.value == terms(data, best.schedule).total
    _checked(scenario, data, best.schedule)


def test_greedy_search_ends_when_stopped() -> None:
    _, data = _loaded(20, 5)
    start = _start(data)
    stop = threading.Event()
    stop.set()
    assert iterated_greedy(data, start, time.monotonic() + 60, 0, stop=stop) is start


def test_greedy_search_stops_after_its_stall_limit() -> None:
    _, data = _loaded(20, 5)
    start = _start(data)
    began = time.monotonic()
    iterated_greedy(data, start, began + 60, 0, stall_limit=3)
    # Three trials, or a few more after each improvement, not a minute.
    assert time.monotonic() - began < 30


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), search_seed=st.integers(0, 100))
def test_greedy_search_is_never_worse_and_its_plans_check(seed: int, search_seed: int) -> None:
    scenario = scenario_from_data(generate(8, seed, load=0.8, due_scale=0.3))
    data = build_problem(scenario)
    start = dispatch_order(data, rules=1)
    if start is None:
        return
    offered: list[Schedule] = []
    best = iterated_greedy(
        data,
        start,
        time.monotonic() + 0.3,
        search_seed,
        on_improve=lambda schedule, _value: offered.append(schedule),
    )
    assert best.value <= start.value
    assert best.value == terms(data, best.schedule).total
    for schedule in [*offered, best.schedule]:
        _checked(scenario, data, schedule)


def test_portfolio_on_a_plant_runs_the_greedy_search_beside_the_neighbourhood_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario, data = _loaded(40, 3)
    start = _start(data)
    assert start.value > 0

    def idle(data: ProblemData, incumbent: Schedule, deadline: float, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The neighbourhood search does nothing here, so every gain is the greedy search's.
        time.sleep(max(0.0, deadline - time.monotonic()))
        return incumbent

    monkeypatch.setattr(lns, "improve", idle)
    seen: list[float] = []
    best = portfolio.improve_plant(
        data,
        start.schedule,
        time.monotonic() + 2.0,
        2,
        0,
        on_improve=lambda _schedule, value: seen.append(float(value)),
        order=start,
    )
    value = terms(data, best).total
    assert value < start.value
    assert seen and seen[-1] == float(value)
    _checked(scenario, data, best)


def test_portfolio_on_a_plant_without_an_order_runs_the_neighbourhood_search_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, data = _loaded(20, 4)
    start = _start(data)
    calls: list[int] = []

    def record(data: ProblemData, incumbent: Schedule, deadline: float, workers: int, *a, **k):  # type: ignore[no-untyped-def]
        calls.append(workers)
        return incumbent

    monkeypatch.setattr(lns, "improve", record)
    portfolio.improve_plant(data, start.schedule, time.monotonic() + 1, 2, 0)
    assert calls == [2]


def test_dispatcher_tries_optional_orders_mixed_in_and_last_whatever_the_budget() -> None:
    from engine.dispatch import _rules, _run

    _, data = _loaded(60, 6)
    assert any(not o.firm for o in data.orders)
    mixed, last = _rules(data)[:2]
    values = []
    for rule in (mixed, last):
        schedule = _run(data, [o.index for o in sorted(data.orders, key=rule)])
        assert schedule is not None
        values.append(terms(data, schedule).total)
    assert all(last(o) == (not o.firm, *mixed(o)) for o in data.orders)
    found = dispatch_order(data, budget=0.0)
    assert found is not None
    assert found.value == min(values)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 1_000),
    moves=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), min_size=1, max_size=3),
)
def test_dispatch_resumed_from_a_snapshot_equals_dispatch_from_scratch(
    seed: int, moves: list[tuple[int, int]]
) -> None:
    from engine.dispatch import _run, _Snapshot

    _, data = _loaded(40, seed % 5)
    sequence = _start(data).sequence
    snapshots: list[_Snapshot] = []
    assert _run(data, sequence, snapshots=snapshots, every=7) is not None
    assert [s.position for s in snapshots] == [7, 14, 21, 28, 35]
    moved = sequence[:]
    for i, j in moves:
        moved.insert(j, moved.pop(i))
    first = next((i for i, (a, b) in enumerate(zip(moved, sequence, strict=True)) if a != b), 40)
    usable = [s for s in snapshots if s.position <= first]
    resume = usable[-1] if usable else None
    again, scratch = _run(data, moved, resume), _run(data, moved)
    if scratch is None:
        assert again is None
        return
    assert again is not None
    assert again.accepted == scratch.accepted and again.sources == scratch.sources
    assert sorted(again.ops, key=repr) == sorted(scratch.ops, key=repr)


def _greedy_from(data: ProblemData) -> tuple[Dispatched, Incumbent]:
    start = _start(data)
    assert start.value > 0
    return start, Incumbent(data, start.schedule)


def test_greedy_search_in_a_process_of_its_own_improves_the_shared_plan() -> None:
    scenario, data = _loaded(40, 3)
    start, shared = _greedy_from(data)
    began = time.monotonic()
    greedy.search(data, start, shared, began + 4.0, 0, threading.Event(), in_process=True)
    # The process ends at the deadline, with a moment to hand over its last plan.
    assert time.monotonic() - began < 4.0 + 3.0
    best, value = shared.get()
    assert value < start.value
    assert value == terms(data, best).total
    _checked(scenario, data, best)


def test_greedy_search_in_a_process_ends_when_stopped() -> None:
    _, data = _loaded(40, 3)
    start, shared = _greedy_from(data)
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    began = time.monotonic()
    greedy.search(data, start, shared, began + 60, 0, stop, in_process=True)
    assert time.monotonic() - began < 10


def test_greedy_search_stays_in_this_process_where_no_child_may_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, data = _loaded(20, 5)
    start, shared = _greedy_from(data)

    def no_child(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("no processes here")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    greedy.search(
        data, start, shared, time.monotonic() + 1.0, 0, threading.Event(), in_process=True
    )
    assert shared.value < start.value


def test_greedy_search_from_a_script_without_a_main_guard(tmp_path: Path) -> None:
    # The child is a fresh interpreter: a calling script is not run again in it.
    script = tmp_path / "plan.py"
    script.write_text(
        "import threading, time\n"
        "from benchmarks.generate import generate\n"
        "from engine.dispatch import dispatch_order\n"
        "from engine.io import scenario_from_data\n"
        "from engine.problem import build_problem\n"
        "from engine.solve import greedy\n"
        "from engine.solve.incumbent import Incumbent\n"
        "print('script ran', flush=True)\n"
        "data = build_problem(scenario_from_data(generate(40, 3, load=0.8, due_scale=0.5)))\n"
        "start = dispatch_order(data)\n"
        "shared = Incumbent(data, start.schedule)\n"
        "greedy.search(data, start, shared, time.monotonic() + 3, 0, threading.Event(),\n"
        "              in_process=True)\n"
        "print('better', shared.value < start.value)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["script ran", "better True"]


def test_greedy_search_takes_up_only_better_plans_of_the_other_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, data = _loaded(20, 5)
    start, shared = _greedy_from(data)
    taken: list[list[int] | None] = []
    original = greedy.order_search

    def asks_for_restarts(data, order, deadline, seed, found, *, stop, restart):  # type: ignore[no-untyped-def]
        taken.append(restart())  # the greedy search's own plan is the best: none
        shared.offer(order.schedule, order.value - 1)  # another search does better
        taken.append(restart())  # taken up once
        taken.append(restart())
        return original(data, order, time.monotonic(), seed, found, stop=stop, restart=restart)

    monkeypatch.setattr(greedy, "order_search", asks_for_restarts)
    greedy.search(data, start, shared, time.monotonic() + 1, 0, threading.Event(), in_process=False)
    assert taken == [None, completion_order(data, start.schedule), None]


def test_greedy_process_stops_when_told_or_when_its_parent_is_gone() -> None:
    from multiprocessing import Pipe

    ours, theirs = Pipe()
    assert not greedy._Inbox(theirs, os.getppid()).is_set()
    assert greedy._Inbox(theirs, -1).is_set()
    inbox = greedy._Inbox(theirs, os.getppid())
    ours.send(([2, 0, 1], Fraction(3)))
    assert not inbox.is_set()
    assert inbox.other == ([2, 0, 1], Fraction(3))
    ours.send(None)
    assert inbox.is_set()
    ours.close()
    assert greedy._Inbox(theirs, os.getppid()).is_set()


def test_greedy_process_loads_the_loops_when_its_parent_has_compiled_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from multiprocessing import Pipe

    from engine import dispatch_kernels

    calls: list[str] = []
    monkeypatch.setattr(dispatch_kernels, "enable", lambda: calls.append("enable"))
    monkeypatch.setattr(dispatch_kernels, "warm_up_in_background", lambda: calls.append("load"))
    ours, theirs = Pipe()
    inbox = greedy._Inbox(theirs, os.getppid())
    ours.send(greedy.READY)
    assert not inbox.is_set()
    assert calls == ["enable", "load"] and inbox.other is None


def test_greedy_parent_tells_its_process_once_the_loops_are_compiled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine import dispatch_kernels

    _, data = _loaded(40, 3)
    start, shared = _greedy_from(data)
    answers = iter([False, False])
    monkeypatch.setattr(dispatch_kernels, "ready", lambda: next(answers, True))
    sent: list[object] = []
    opened = greedy._Child.start

    def recorded() -> greedy._Child | None:
        child = opened()
        assert child is not None
        send = child._to.send

        def record(message: object) -> None:
            sent.append(message)
            send(message)

        child._to = type("Recorded", (), {"send": staticmethod(record), "close": child._to.close})()
        return child

    monkeypatch.setattr(greedy._Child, "start", staticmethod(recorded))
    greedy.search(
        data, start, shared, time.monotonic() + 3.0, 0, threading.Event(), in_process=True
    )
    # The start says "not compiled"; the loops are ready at the next look, said once.
    assert sent[0][-1] is False  # type: ignore[index]
    assert sent.count(greedy.READY) == 1
    assert sent[-1] is None
    assert shared.value < start.value


@pytest.mark.parametrize(("seconds", "waits"), [(40.0, True), (5.0, False)])
def test_greedy_search_in_this_thread_waits_for_loops_being_compiled_here(
    monkeypatch: pytest.MonkeyPatch, seconds: float, waits: bool
) -> None:
    from engine import dispatch_kernels

    _, data = _loaded(20, 5)
    start, shared = _greedy_from(data)
    until: list[float] = []
    monkeypatch.setattr(dispatch_kernels, "warming", lambda: True)
    monkeypatch.setattr(dispatch_kernels, "wait", lambda deadline: until.append(deadline))
    monkeypatch.setattr(greedy, "order_search", lambda *args, **kwargs: start)
    began = time.monotonic()
    greedy.search(data, start, shared, began + seconds, 0, threading.Event(), in_process=False)
    if waits:
        # At most half the time left.
        assert len(until) == 1 and until[0] == pytest.approx(began + seconds / 2, abs=0.5)
    else:
        assert until == []


def test_rolling_search_improves_a_loaded_plant_and_its_plans_check() -> None:
    scenario, data = _loaded(80, 3)
    start = _start(data)
    offered: list[tuple[Schedule, Fraction]] = []
    best = rolling_greedy(
        data,
        start,
        time.monotonic() + 4.0,
        0,
        on_improve=lambda schedule, value: offered.append((schedule, value)),
        window=20,
    )
    assert best.value < start.value
    assert offered and offered[-1][1] == best.value
    assert best.value == terms(data, best.schedule).total
    # Its order of orders, dispatched whole, gives its plan: the window's costs were exact.
    again = _run(data, best.sequence)
    assert again is not None and terms(data, again).total == best.value
    for schedule, value in offered:
        assert terms(data, schedule).total == value
        _checked(scenario, data, schedule)


def test_rolling_search_ends_when_stopped_and_by_its_deadline() -> None:
    _, data = _loaded(80, 3)
    start = _start(data)
    stop = threading.Event()
    stop.set()
    assert rolling_greedy(data, start, time.monotonic() + 60, 0, stop=stop) is start
    began = time.monotonic()
    rolling_greedy(data, start, began + 1.0, 0, window=20)
    assert time.monotonic() - began < 10


def test_rolling_search_takes_up_another_plan_only_when_no_worse_than_its_own() -> None:
    _, data = _loaded(60, 4)
    start = _start(data)
    better = rolling_greedy(data, start, time.monotonic() + 2.0, 1, window=20)
    assert better.value < start.value
    worse = list(reversed(start.sequence))
    worse_plan = _run(data, worse)
    assert worse_plan is not None and terms(data, worse_plan).total > start.value
    for other, at_most in ((better.sequence, better.value), (worse, start.value)):
        asked: list[int] = []

        def restart(other: list[int] = other, asked: list[int] = asked) -> list[int]:
            asked.append(1)
            return other

        found = rolling_greedy(
            data, start, time.monotonic() + 1.0, 2, restart=restart, restart_after=1, window=20
        )
        assert asked
        assert found.value <= at_most


def test_order_search_rolls_a_window_on_large_plants_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import engine.dispatch as dispatch

    _, data = _loaded(40, 3)
    start = _start(data)
    used: list[str] = []
    monkeypatch.setattr(dispatch, "rolling_greedy", lambda *a, **k: used.append("rolling") or start)
    monkeypatch.setattr(dispatch, "iterated_greedy", lambda *a, **k: used.append("whole") or start)
    monkeypatch.setattr(dispatch, "rolling_race", lambda *a, **k: used.append("race") or start)
    dispatch.order_search(data, start, time.monotonic() + 1, 0)
    monkeypatch.setattr(dispatch, "ROLLING_FROM", 40)
    dispatch.order_search(data, start, time.monotonic() + 1, 0)
    # The dispatcher's own search before CP-SAT rolls its window without a race.
    dispatch.dispatch_order(data, rules=1, improve=0.5)
    assert used == ["whole", "race", "rolling"]


def _fake_sweeps(
    monkeypatch: pytest.MonkeyPatch, start: Dispatched, lap: float, values: dict[int, int]
) -> list[tuple[Dispatched, int, int | None, bool]]:
    """Stand in for the rolling search: a first sweep with seed ``s`` takes ``lap``
    seconds and ends at ``values[s]``; record (start, seed, sweeps, with restart)."""
    import engine.dispatch as dispatch

    calls: list[tuple[Dispatched, int, int | None, bool]] = []

    def fake(data, begin, deadline, seed, on_improve=None, *, stop=None, restart=None, sweeps=None):  # type: ignore[no-untyped-def]
        calls.append((begin, seed, sweeps, restart is not None))
        if sweeps is None:
            return begin
        time.sleep(min(lap, max(0.0, deadline - time.monotonic())))
        value = Fraction(values.get(seed, 900))
        found = Dispatched(begin.schedule, [*begin.sequence], value)
        if on_improve is not None:
            on_improve(found.schedule, value)
        return found

    monkeypatch.setattr(dispatch, "rolling_greedy", fake)
    return calls


def test_rolling_race_goes_on_from_the_best_first_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.dispatch as dispatch

    _, data = _loaded(40, 3)
    start = Dispatched(_start(data).schedule, _start(data).sequence, Fraction(1000))
    calls = _fake_sweeps(monkeypatch, start, 0.1, {5: 950, 5 + 7919: 700, 5 + 2 * 7919: 800})
    reported: list[Fraction] = []
    best = dispatch.rolling_race(
        data,
        start,
        time.monotonic() + 2.0,
        5,
        lambda _s, v: reported.append(v),
        restart=lambda: None,
    )
    firsts = [c for c in calls if c[2] == 1]
    # As many first sweeps as fit in 30% of the time (about six), each from the start
    # with a seed of its own, and only the search after the race takes up other plans.
    assert 3 <= len(firsts) <= dispatch.RACE_MOST
    assert all(c[0] is start and not c[3] for c in firsts)
    assert len({c[1] for c in firsts}) == len(firsts)
    last = calls[-1]
    assert last[2] is None and last[3] and last[1] == 5
    assert last[0].value == 700 and best.value == 700
    # Only plans better than any before are passed on.
    assert reported == [950, 700]


def test_rolling_race_is_the_rolling_search_alone_when_a_sweep_takes_the_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import engine.dispatch as dispatch

    _, data = _loaded(40, 3)
    start = _start(data)
    calls = _fake_sweeps(monkeypatch, start, 5.0, {})
    dispatch.rolling_race(data, start, time.monotonic() + 0.5, 0)
    assert [(c[1], c[2]) for c in calls] == [(0, 1)]


def test_rolling_race_leaves_a_plan_that_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.dispatch as dispatch

    _, data = _loaded(40, 3)
    found = _start(data)
    start = Dispatched(found.schedule, found.sequence, Fraction(0))
    calls = _fake_sweeps(monkeypatch, start, 0.0, {})
    assert dispatch.rolling_race(data, start, time.monotonic() + 1.0, 0) is start
    assert calls == []


def test_rolling_race_on_a_loaded_plant_gives_checked_plans() -> None:
    import engine.dispatch as dispatch

    scenario, data = _loaded(80, 3)
    start = _start(data)
    offered: list[tuple[Schedule, Fraction]] = []
    best = dispatch.rolling_race(
        data, start, time.monotonic() + 3.0, 0, lambda s, v: offered.append((s, v))
    )
    assert best.value <= start.value
    assert best.value == terms(data, best.schedule).total
    values = [v for _, v in offered]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    for schedule, value in offered[-3:]:
        assert terms(data, schedule).total == value
        _checked(scenario, data, schedule)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(2, 40),
    data=st.data(),
    seed=st.integers(0, 1000),
)
def test_rolling_moves_stay_inside_their_window(n: int, data: st.DataObject, seed: int) -> None:
    import random

    lo = data.draw(st.integers(0, n - 2))
    end = data.draw(st.integers(lo + 2, n))
    sequence = list(range(n))
    random.Random(seed).shuffle(sequence)
    weights = data.draw(
        st.lists(st.floats(0.001, 10), min_size=end - lo, max_size=end - lo), label="weights"
    )
    moved = _moved(random.Random(seed), sequence, weights, lo, end)
    assert moved[:lo] == sequence[:lo]
    assert moved[end:] == sequence[end:]
    assert sorted(moved[lo:end]) == sorted(sequence[lo:end])


def test_costs_of_orders_from_their_operations_equal_the_whole_plans() -> None:
    _, data = _loaded(40, 1)
    schedule = _start(data).schedule
    whole = _order_costs(data, schedule)
    # The orders' costs add up to the plan's own tardiness and rejection terms.
    t = terms(data, schedule)
    assert sum(whole.values()) == t.tardiness + t.rejection
    assert any(whole.values())
    # Some orders' costs need only their own operations.
    orders = list(range(0, len(data.orders), 3))
    placed = [p for p in schedule.ops if p.order in orders]
    assert _costs_of(data, schedule, orders, placed) == {i: whole[i] for i in orders}


@pytest.mark.parametrize(
    ("seed", "load", "due_scale", "large", "workers", "greedy_seeds", "windows"),
    [
        # Large and led by lateness: a second greedy search instead of the window search ...
        (1, 0.8, 0.5, True, 2, [7, 8], []),
        # ... or beside it, in a process of its own, when there are workers to spare.
        (1, 0.8, 0.5, True, 3, [8, 9], [(7, 1)]),
        # Small: the window search keeps its core.
        (1, 0.8, 0.5, False, 2, [8], [(7, 1)]),
        # Led by makespan and changeovers: one greedy search beside the window search.
        (3, 0.5, 1.0, True, 2, [8], [(7, 1)]),
        (3, 0.5, 1.0, True, 3, [8], [(7, 2)]),
    ],
)
def test_portfolio_on_a_plant_led_by_lateness_runs_two_greedy_searches(
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    load: float,
    due_scale: float,
    large: bool,
    workers: int,
    greedy_seeds: list[int],
    windows: list[tuple[int, int]],
) -> None:
    data = build_problem(scenario_from_data(generate(40, seed, load=load, due_scale=due_scale)))
    start = _start(data)
    t = terms(data, start.schedule)
    assert (2 * (t.tardiness + t.rejection) >= t.total) == (load == 0.8)
    seen_greedy: list[int] = []
    seen_windows: list[tuple[int, int]] = []

    def record_greedy(data, order, shared, deadline, seed, stop, **kwargs):  # type: ignore[no-untyped-def]
        seen_greedy.append(seed)

    def record_window(data, incumbent, deadline, workers, seed, **kwargs):  # type: ignore[no-untyped-def]
        seen_windows.append((seed, workers))
        return incumbent

    monkeypatch.setattr(greedy, "search", record_greedy)
    monkeypatch.setattr(lns, "improve", record_window)
    if large:
        monkeypatch.setattr(portfolio, "ROLLING_FROM", 40)
    portfolio.improve_plant(data, start.schedule, time.monotonic() + 1, workers, 7, order=start)
    assert sorted(seen_greedy) == greedy_seeds
    assert seen_windows == windows


@pytest.mark.parametrize(
    ("load", "due_scale", "searched_first"), [(0.8, 0.5, False), (0.5, 1.0, True)]
)
def test_a_large_plant_led_by_lateness_goes_straight_to_its_greedy_searches(
    monkeypatch: pytest.MonkeyPatch, load: float, due_scale: float, searched_first: bool
) -> None:
    from engine.solve import SolveParams, solver

    scenario = scenario_from_data(
        generate(40, 1 if load == 0.8 else 3, load=load, due_scale=due_scale)
    )
    alone: list[float] = []
    handed: list[Dispatched] = []

    def improve_order(data, start, deadline, seed=0, on_improve=None):  # type: ignore[no-untyped-def]
        alone.append(deadline - time.monotonic())
        return start

    def improve_plant(data, start, deadline, workers, seed, on_improve=None, order=None):  # type: ignore[no-untyped-def]
        handed.append(order)
        return start

    monkeypatch.setattr(solver, "SMALL_MODEL", 0)
    monkeypatch.setattr(solver, "LARGE_MODEL", 0)
    monkeypatch.setattr(portfolio, "ROLLING_FROM", 40)
    monkeypatch.setattr(solver, "improve_order", improve_order)
    monkeypatch.setattr(portfolio, "improve_plant", improve_plant)
    result = solver.solve(scenario, SolveParams(time_limit=10, workers=2, seed=0))
    assert result.has_plan and len(handed) == 1
    # The search alone gets a tenth of the time limit, where it runs at all.
    assert len(alone) == int(searched_first)
    assert all(0.5 < left <= 1.0 for left in alone)


def test_search_benchmark_reports_ratios_to_the_dispatched_plan(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import search_bench

    seed, marks, raced = search_bench.run_seed(40, 3, 1.0, 0)
    assert seed == 0 and len(marks) == 1 and 0 < raced <= 1
    seed, marks, raced = search_bench.run_seed(40, 3, 3.0, 1)
    # The rolling search only ever improves on the dispatched plan.
    assert len(marks) == 2 and 1 >= marks[0] >= marks[1] > 0 and 0 < raced <= 1
    assert (
        search_bench.main(["--orders", "30", "--seconds", "0.5", "--seeds", "2", "--jobs", "1"])
        == 0
    )
    out = capsys.readouterr().out
    assert "| seed | rolling 0.5 s | race |" in out and out.count("\n| ") == 2
    assert "mean: rolling" in out
