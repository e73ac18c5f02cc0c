"""The compiled dispatcher gives the very plans of the Python one, and searches alike.

Each test dispatches the same order of orders both ways on generated plants
(crews of two, setup families, calendars, downtime, stock, optional orders),
on plants whose materials run short until their receipts, and on a plant
replanned from a published plan with a frozen zone, and asserts identical
schedules: every operation's machine, crew and minutes, every order's
acceptance and every line's source.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from engine import dispatch
from engine import dispatch_kernels as kernels
from engine.check import check_plan
from engine.dispatch import Snapshot, _order_costs, _prices, _resume_point, _run
from engine.expedite import baseline_of, with_changes
from engine.io import scenario_from_data
from engine.model import Status
from engine.problem import MaterialData, ProblemData, build_problem
from engine.schedule import Schedule, completions, make_plan, terms

COMPILE_WAIT = 600.0
"""Seconds to wait for the loops to be compiled (once after installing)."""


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    assert kernels.wait(time.monotonic() + COMPILE_WAIT), "the dispatcher's loops did not compile"


def _python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "_packed", lambda data: None)


def _plant(orders: int, seed: int, load: float = 0.8) -> ProblemData:
    return build_problem(scenario_from_data(generate(orders, seed, load=load, due_scale=0.5)))


def _short_of_materials(data: ProblemData) -> ProblemData:
    """The plant with a fifth of each material on hand and the rest in receipts a day apart."""
    day = 24 * 60
    materials = {}
    for k, m in enumerate(data.materials.values()):
        total = m.total
        on_hand = total // 5
        receipts = [(day * (i + 1) + 60 * k, (total - on_hand) // 4) for i in range(4)]
        materials[m.id] = MaterialData(m.id, on_hand, receipts)
    return dataclasses.replace(data, materials=materials)


def _same(a: Schedule | None, b: Schedule | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.ops == b.ops and a.accepted == b.accepted and a.sources == b.sources


def _both(
    monkeypatch: pytest.MonkeyPatch, data: ProblemData, sequence: list[int]
) -> tuple[Schedule | None, Schedule | None]:
    compiled = _run(data, sequence)
    with monkeypatch.context() as m:
        _python(m)
        python = _run(data, sequence)
    return compiled, python


@settings(max_examples=12, deadline=None)
@given(
    orders=st.integers(5, 80),
    seed=st.integers(1, 10_000),
    load=st.sampled_from([0.5, 0.8]),
    short=st.booleans(),
    shuffle=st.integers(0, 1_000),
)
def test_compiled_and_python_dispatch_give_the_same_plan(
    orders: int, seed: int, load: float, short: bool, shuffle: int
) -> None:
    data = _plant(orders, seed, load)
    if short:
        data = _short_of_materials(data)
    sequence = list(range(len(data.orders)))
    random.Random(shuffle).shuffle(sequence)
    with pytest.MonkeyPatch.context() as monkeypatch:
        compiled, python = _both(monkeypatch, data, sequence)
    assert _same(compiled, python)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_plants_compared_use_every_feature(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Stock, rejected optional orders, crews of two and waits for material all occur.

    Optional orders are due at their release and lateness is priced a hundred
    times higher, so that they cost more late than rejected."""
    data = _short_of_materials(_plant(120, seed))
    dear = dataclasses.replace(data.weights, tardiness=data.weights.tardiness * 100)
    orders = [o if o.firm else dataclasses.replace(o, due=o.release) for o in data.orders]
    data = dataclasses.replace(data, weights=dear, orders=orders)
    sequence = sorted(range(len(data.orders)), key=lambda o: -data.orders[o].due)
    compiled, python = _both(monkeypatch, data, sequence)
    assert compiled is not None and _same(compiled, python)
    assert "stock" in compiled.sources.values()
    assert not all(compiled.accepted)
    assert any(len(op.staff) == 2 for op in compiled.ops)
    firsts = [op for op in compiled.ops if op.position == 0]
    receipts = {t for m in data.materials.values() for t, _ in m.receipts}
    assert any(op.start in receipts for op in firsts)


def _frozen_plant() -> ProblemData:
    """A plant replanned from its published plan, with work frozen at fixed times and crews."""
    scenario = scenario_from_data(generate(60, 5, load=0.8, due_scale=0.5))
    first = build_problem(scenario)
    dispatched = dispatch.dispatch_order(first)
    assert dispatched is not None
    published = make_plan(first, dispatched.schedule, Status.FEASIBLE)
    freeze = scenario.horizon.start + timedelta(days=2)
    policy = scenario.policy.model_copy(update={"freeze_until": freeze})
    return build_problem(with_changes(scenario, policy=policy, baseline=baseline_of(published)))


def test_a_replanned_plant_keeps_frozen_work_and_published_places_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _frozen_plant()
    assert data.baseline and any(op.fixed_staff is not None for op in data.ops)
    for shuffle in range(3):
        sequence = list(range(len(data.orders)))
        random.Random(shuffle).shuffle(sequence)
        compiled, python = _both(monkeypatch, data, sequence)
        assert _same(compiled, python)


def test_a_dispatch_resumed_from_a_compiled_snapshot_equals_one_from_scratch() -> None:
    data = _plant(90, 7)
    dispatched = dispatch.dispatch_order(data)
    assert dispatched is not None
    sequence = dispatched.sequence
    snapshots: list[Snapshot] = []
    assert _run(data, sequence, snapshots=snapshots, every=10) is not None
    assert [s.position for s in snapshots] == list(range(10, 90, 10))
    moved = sequence[:45] + sequence[45:47][::-1] + sequence[47:]
    resume = _resume_point(snapshots, 45)
    assert resume is not None and resume.position == 40
    resumed = _run(data, moved, resume)
    assert resumed is not None and _same(resumed, _run(data, moved))
    assert check_plan(data.scenario, make_plan(data, resumed, Status.FEASIBLE)).ok


def test_once_the_loops_are_ready_python_snapshots_give_way_to_compiled_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Snapshots taken in Python before the loops were ready: the next dispatch runs
    compiled, from the start, and leaves compiled snapshots that later ones resume from."""
    data = _plant(90, 7)
    dispatched = dispatch.dispatch_order(data)
    assert dispatched is not None
    sequence = dispatched.sequence
    snapshots: list[Snapshot] = []
    with monkeypatch.context() as python:
        python.setattr(dispatch, "_packed", lambda data: None)
        assert _run(data, sequence, snapshots=snapshots, every=10) is not None
    assert all(isinstance(s, dispatch._Snapshot) for s in snapshots)
    moved = sequence[:45] + sequence[45:47][::-1] + sequence[47:]
    resume = _resume_point(snapshots, 45)
    assert isinstance(resume, dispatch._Snapshot)
    fresh: list[Snapshot] = []
    resumed = _run(data, moved, resume, fresh, 10)
    assert resumed is not None and _same(resumed, _run(data, moved))
    assert [s.position for s in fresh] == list(range(10, 90, 10))
    assert all(isinstance(s, dispatch._CompiledSnapshot) for s in fresh)
    later = _resume_point(snapshots + fresh, 45)
    assert isinstance(later, dispatch._CompiledSnapshot) and later.position == 40
    again = _run(data, moved, later)
    assert again is not None and _same(again, resumed)


def test_rolling_search_is_the_same_compiled_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """One sweep from the same start with the same seed: the same order of orders and plan."""
    data = _plant(150, 3)
    start = dispatch.dispatch_order(data, rules=2)
    assert start is not None
    far = time.monotonic() + 3600
    compiled = dispatch.rolling_greedy(data, start, far, 11, sweeps=1, window=30)
    _python(monkeypatch)
    python = dispatch.rolling_greedy(data, start, far, 11, sweeps=1, window=30)
    assert compiled.sequence == python.sequence and compiled.value == python.value
    assert compiled.value < start.value


@pytest.mark.parametrize("kind", ["plant", "frozen"])
def test_a_trial_frontier_and_costs_are_the_same_compiled_or_not(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    data = _plant(90, 4) if kind == "plant" else _frozen_plant()
    assert kind == "plant" or any(op.fixed_staff is not None for op in data.ops)
    n = len(data.orders)
    for shuffle in range(3):
        sequence = list(range(n))
        random.Random(shuffle).shuffle(sequence)
        until = 2 * n // 3
        orders = sequence[: until + 5]
        compiled = dispatch._trial(data, sequence[: until + 5], None, [], 0, until, orders)
        with monkeypatch.context() as m:
            _python(m)
            python = dispatch._trial(data, sequence[: until + 5], None, [], 0, until, orders)
        assert compiled is not None and python is not None
        assert compiled.frontier == python.frontier
        assert compiled.cost.tolist() == python.cost.tolist()
        # The frontier is the sum of each machine's last busy minute in the plan.
        schedule = _run(data, sequence[: until + 5])
        assert schedule is not None
        last: dict[str, int] = dict.fromkeys(data.machines, 0)
        for op in schedule.ops:
            last[op.machine] = max(last[op.machine], op.end)
        assert compiled.frontier >= sum(last.values())
        if kind == "plant":
            assert compiled.frontier == sum(last.values())


@pytest.mark.parametrize(("orders_from", "guarded"), [(0, True), (10**9, False)])
def test_rolling_search_guards_the_frontier_on_large_plants_only(
    monkeypatch: pytest.MonkeyPatch, orders_from: int, guarded: bool
) -> None:
    """From ``FRONTIER_FROM`` orders each window first measures the machines' frontier
    as the order stands; the search is the same compiled or not either way."""
    data = _plant(150, 3)
    start = dispatch.dispatch_order(data, rules=2)
    assert start is not None
    monkeypatch.setattr(dispatch, "FRONTIER_FROM", orders_from)
    measured: list[int] = []
    trial = dispatch._trial

    def counting(data, sequence, resume, snapshots, every, until, orders):  # type: ignore[no-untyped-def]
        if not orders:
            measured.append(len(sequence))
        return trial(data, sequence, resume, snapshots, every, until, orders)

    monkeypatch.setattr(dispatch, "_trial", counting)
    far = time.monotonic() + 3600
    compiled = dispatch.rolling_greedy(data, start, far, 11, sweeps=1, window=30)
    assert bool(measured) == guarded
    _python(monkeypatch)
    python = dispatch.rolling_greedy(data, start, far, 11, sweeps=1, window=30)
    assert compiled.sequence == python.sequence and compiled.value == python.value
    assert compiled.value < start.value
    assert check_plan(data.scenario, make_plan(data, compiled.schedule, Status.FEASIBLE)).ok


def test_scaled_prices_are_the_order_costs_exactly() -> None:
    data = _plant(60, 9)
    schedule = _run(data, sorted(range(len(data.orders)), key=lambda o: -data.orders[o].due))
    assert schedule is not None
    prices = _prices(data)
    costs = _order_costs(data, schedule)
    assert any(costs.values())
    orders = list(range(len(data.orders)))
    scaled = prices.array(costs, orders)
    assert [Fraction(c, prices.scale) for c in scaled.tolist()] == [costs[o] for o in orders]
    done = completions(data, schedule)
    at = np.asarray([done.get(o, -1) for o in orders], dtype=np.int64)
    assert prices.costs(np.asarray(orders, dtype=np.int64), at).tolist() == scaled.tolist()
    t = terms(data, schedule)
    assert Fraction(int(scaled.sum()), prices.scale) == t.tardiness + t.rejection


def test_late_most_is_the_last_minute_that_costs_no_more_than_rejecting() -> None:
    # 2 per hour late, rejection worth 3: 90 minutes cost exactly 3, 91 more.
    assert kernels.late_most(Fraction(2), Fraction(1), Fraction(3)) == 90
    assert kernels.late_most(Fraction(0), Fraction(1), Fraction(3)) == kernels.NEVER
    assert kernels.late_most(Fraction(1), Fraction(1), Fraction(0)) == 0


def test_dispatch_benchmark_reports_identical_plans(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import dispatch_bench

    assert dispatch_bench.main(["--orders", "40", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    row = [line for line in out.splitlines() if line.startswith("| 40 |")]
    assert len(row) == 1 and row[0].endswith("| yes |")


def test_a_process_told_not_to_compile_dispatches_in_python() -> None:
    """The greedy search's process does not compile the loops while the solve does."""
    program = "from engine import dispatch_kernels as k; k.disable(); print(k.ready(), k.warming())"
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_a_problem_is_packed_once_and_forgotten_when_freed() -> None:
    data = _plant(12, 4)
    packed = dispatch._packed(data)
    assert packed is not None and dispatch._packed(data) is packed
    key = id(data)
    assert key in dispatch._PER_PROBLEM
    del data
    gc.collect()
    assert key not in dispatch._PER_PROBLEM


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 10_000), st.integers(0, 1_000))
def test_whole_dispatch_objective_without_a_plan_is_exact(plant: int, shuffle: int) -> None:
    """The compiled whole dispatch's objective, taken from its state, is the plan's."""
    data = _plant(40, plant)
    sequence = list(range(len(data.orders)))
    random.Random(shuffle).shuffle(sequence)
    whole = dispatch._whole(data, sequence, None, [], 0)
    # Some orders leave a firm order no room: then neither way gives a plan.
    assert (whole is None) == (_run(data, sequence) is None)
    assume(whole is not None)
    assert whole is not None and whole.schedule is not None
    t = terms(data, whole.schedule)
    assert whole.value == t.total
    scaled = _prices(data).array(_order_costs(data, whole.schedule), range(len(data.orders)))
    assert whole.cost.tolist() == scaled.tolist()
    again = dispatch._whole(data, sequence, None, [], 0, below=whole.value)
    assert again is not None and again.value == whole.value and again.schedule is None


def test_a_process_ending_while_the_loops_compile_waits_for_them(tmp_path: Path) -> None:
    """Ending under a thread that compiles can crash the interpreter: it waits instead,
    and the loops land in the cache."""
    cache = tmp_path / "cache"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from engine import dispatch_kernels as k; k.warm_up_in_background(); print('left')",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "left"
    assert list(cache.rglob("*.nbi")), "nothing was compiled into the cache before the exit"
