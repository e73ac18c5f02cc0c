"""The searches that improve a plan: tabu search on sequences, sequence-holding LNS, portfolio.

Every plan they return goes through the independent checker; the tabu search
must reach known optima of small job shops, and holding every sequence must
keep the machine order of the incumbent while still letting work move earlier.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

import engine.solve.solver as solver_module
from benchmarks.generate import generate
from benchmarks.instances import Instance, read_jsplib, to_scenario
from engine.build import build_model
from engine.check import check_plan
from engine.dispatch import dispatch
from engine.io import scenario_from_data
from engine.model import Scenario, Status
from engine.problem import ProblemData, build_problem
from engine.schedule import Schedule, ScheduledOp, compact, make_plan, terms
from engine.solve import SolveParams, sequence, solve, tabu, tabu_kernels
from engine.solve.incumbent import Incumbent
from engine.solve.params import model_defaults
from engine.solve.portfolio import improve
from engine.solve.sequence import hold_sequences, improve_sequences
from engine.solve.solver import apply_parameters, extract_schedule, hint_schedule
from engine.solve.tabu_kernels import REASSIGN
from tests.scenario_kit import base_scenario, operation, order, product


def _makespan(data: ProblemData, schedule: Schedule) -> int:
    return max(p.end for p in schedule.ops)


def _checked(scenario: Scenario, data: ProblemData, schedule: Schedule) -> None:
    plan = make_plan(data, compact(data, schedule), Status.FEASIBLE)
    report = check_plan(scenario, plan)
    assert report.ok, "\n".join(str(v) for v in report.violations)


def _start(data: ProblemData) -> Schedule:
    schedule = dispatch(data, budget=0.5, seed=0)
    assert schedule is not None
    return schedule


def _sequences(schedule: Schedule) -> dict[str, list[tuple[int, int, int]]]:
    out: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for p in sorted(schedule.ops, key=lambda p: (p.start, p.end)):
        out[p.machine].append((p.order, p.line, p.position))
    return dict(out)


def test_tabu_search_applies_to_job_shops_only() -> None:
    assert tabu.applies(build_problem(to_scenario(read_jsplib("ft06"))))
    plant = build_problem(scenario_from_data(generate(10, 1)))
    assert not tabu.applies(plant)
    late = base_scenario(
        orders=[order("a", "p", due=60)], weights={"tardiness": 1.0, "makespan": 1.0}
    )
    assert not tabu.applies(build_problem(scenario_from_data(late)))


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666)])
def test_tabu_search_reaches_the_optimum(name: str, optimum: int) -> None:
    scenario = to_scenario(read_jsplib(name))
    data = build_problem(scenario)
    start = _start(data)
    found: list[int] = []
    best = tabu.tabu_search(
        data,
        start,
        time.monotonic() + 20,
        seed=0,
        on_improve=lambda s: found.append(_makespan(data, s)),
        stop_at=optimum,
    )
    assert _makespan(data, best) == optimum
    assert found == sorted(found, reverse=True)
    _checked(scenario, data, best)


def test_tabu_search_keeps_a_line_order_when_two_steps_share_a_machine() -> None:
    # Each job's first two steps both run on m0: swapping them would be a cycle.
    instance = Instance(
        "shared-machine",
        2,
        tuple(({0: 3 + j}, {0: 2}, {1: 4 + j % 3}, {0: 1, 1: 2 + j % 2}) for j in range(6)),
    )
    scenario = to_scenario(instance)
    data = build_problem(scenario)
    start = _start(data)
    best = tabu.tabu_search(data, start, time.monotonic() + 1, seed=1)
    assert _makespan(data, best) <= _makespan(data, start)
    _checked(scenario, data, best)


@st.composite
def job_shops(draw: st.DrawFn, flexible: bool = False) -> Instance:
    machines = draw(st.integers(2, 4))
    jobs = draw(st.integers(2, 5))
    rows = []
    repeats = flexible or draw(st.booleans())
    for _ in range(jobs):
        if repeats:
            # A line may come back to a machine, even straight after leaving it.
            order_of = draw(st.lists(st.integers(0, machines - 1), min_size=1, max_size=6))
        else:
            order_of = draw(st.permutations(range(machines)))
        row = []
        for m in order_of:
            eligible = {m}
            if flexible:
                eligible |= set(draw(st.lists(st.integers(0, machines - 1), max_size=2)))
            row.append({k: draw(st.integers(1, 9)) for k in sorted(eligible)})
        rows.append(tuple(row))
    return Instance("random", machines, tuple(rows))


def _serial_start(data: ProblemData) -> Schedule:
    """A poor plan: every operation on its first machine, one line after another."""
    ops = []
    free: dict[str, int] = defaultdict(int)
    end = 0
    for line in data.lines:
        for op in line.ops:
            mode = op.modes[0]
            start = max(end, free[mode.machine], mode.starts[0][0])
            end = start + mode.duration
            free[mode.machine] = end
            ops.append(
                ScheduledOp(line.order, line.index, op.position, mode.machine, (), start, end)
            )
    accepted = [True] * len(data.orders)
    sources = {(line.order, line.index): "production" for line in data.lines}
    return Schedule(accepted, sources, ops)


def _optimum(data: ProblemData) -> int:
    built = build_model(data)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 30
    assert solver.solve(built.model) == cp_model.OPTIMAL
    return round(solver.objective_value / built.objective.scale)


def test_tabu_search_moves_work_between_machines_to_the_optimum() -> None:
    # Five jobs of three steps, each step on one of two machines at different speeds.
    rows = tuple(
        tuple(
            {(j + k) % 3: 2 + (j * k) % 5, (j + k + 1) % 3: 3 + (j + 2 * k) % 4} for k in range(3)
        )
        for j in range(5)
    )
    scenario = to_scenario(Instance("flexible", 3, rows))
    data = build_problem(scenario)
    start = _serial_start(data)
    optimum = _optimum(data)
    assert _makespan(data, start) > optimum
    best = tabu.tabu_search(data, start, time.monotonic() + 20, seed=0, stop_at=optimum)
    assert _makespan(data, best) == optimum
    machines = {(p.order, p.position): p.machine for p in start.ops}
    assert any(p.machine != machines[(p.order, p.position)] for p in best.ops)
    _checked(scenario, data, best)


def test_warm_up_runs_every_inner_loop() -> None:
    tabu.warm_up()
    for kernel in (
        tabu_kernels.evaluate,
        tabu_kernels.critical_path,
        tabu_kernels.block_moves,
        tabu_kernels.machine_moves,
        tabu_kernels.choose,
        tabu_kernels.cell,
    ):
        assert kernel.signatures, f"{kernel.__name__} was not compiled"


@pytest.fixture
def compiling_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A fresh warm-up state whose compiling goes on until the given event is set.

    The warm-up thread is let go and waited for before the state is put back: a
    thread ending later would mark the next test's fresh state as compiled.
    """
    release = threading.Event()
    monkeypatch.setattr(tabu, "_warm", threading.Event())
    monkeypatch.setattr(tabu, "_warm_started", False)
    monkeypatch.setattr(tabu, "_warm_ok", False)
    monkeypatch.setattr(tabu, "warm_up", lambda: release.wait(30))
    yield release
    release.set()
    for thread in threading.enumerate():
        if thread.name == "orderplan-warm-up":
            thread.join(30)


def test_waiting_for_the_inner_loops_ends_at_the_deadline(compiling_held: threading.Event) -> None:
    release = compiling_held
    assert not tabu.ready()
    assert tabu.warming()
    began = time.monotonic()
    assert not tabu.ready(began + 0.3)
    assert 0.25 <= time.monotonic() - began < 5
    release.set()
    assert tabu.ready(time.monotonic() + 5)
    assert not tabu.warming()


def test_a_failed_warm_up_is_not_ready(
    monkeypatch: pytest.MonkeyPatch, compiling_held: threading.Event
) -> None:

    def broken() -> None:
        raise RuntimeError("no compiler")

    monkeypatch.setattr(tabu, "warm_up", broken)
    monkeypatch.setattr(threading, "excepthook", lambda _args: None)
    assert not tabu.ready(time.monotonic() + 5)
    assert not tabu.warming()


@pytest.mark.parametrize("workers", [1, 2])
def test_portfolio_keeps_its_deadline_while_the_inner_loops_compile(
    monkeypatch: pytest.MonkeyPatch, compiling_held: threading.Event, workers: int
) -> None:
    release = compiling_held
    called: list[int] = []
    monkeypatch.setattr(tabu, "tabu_search", lambda *a, **k: called.append(1))
    scenario = to_scenario(read_jsplib("la02"))
    data = build_problem(scenario)
    start = _start(data)
    began = time.monotonic()
    try:
        best = improve(build_model(data), start, began + 2, workers, seed=0)
    finally:
        release.set()
    assert time.monotonic() - began < 4
    assert called == []
    assert terms(data, best).total <= terms(data, start).total
    _checked(scenario, data, best)


def test_inner_loops_compile_without_a_place_for_their_cache() -> None:
    # A function without a source file has no cache location, like a read-only install.
    namespace: dict[str, object] = {}
    exec("def twice(x):\n    return 2 * x\n", namespace)
    twice = tabu_kernels.compiled(namespace["twice"])
    assert twice(21) == 42
    assert type(tabu_kernels.evaluate._cache).__name__ == "FunctionCache"


def test_tabu_floor_is_a_bound_for_any_machine_choice() -> None:
    # One job of two steps that may each run on either machine: 3 + 3 on the fast one.
    instance = Instance("floor", 2, (({0: 3, 1: 9}, {0: 3, 1: 9}), ({0: 9, 1: 4},)))
    data = build_problem(to_scenario(instance))
    shop, _ = tabu._shop(data, _serial_start(data))
    assert tabu._floor(shop) == 6
    assert _optimum(data) >= tabu._floor(shop)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(lambda flexible: job_shops(flexible)))
def test_tabu_search_never_worsens_and_is_checked(instance: Instance) -> None:
    scenario = to_scenario(instance)
    data = build_problem(scenario)
    start = _start(data)
    best = tabu.tabu_search(data, start, time.monotonic() + 0.2, seed=0)
    assert _makespan(data, best) <= _makespan(data, start)
    _checked(scenario, data, best)


def _spread_scenario() -> Scenario:
    """Three orders whose dispatch plan leaves gaps a re-timing closes."""
    data = base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        products=[
            product("p", operation("cut", {"m1": 30}), operation("sand", {"m2": 20})),
            product("q", operation("sand", {"m2": 40}), operation("cut", {"m1": 10})),
        ],
        orders=[
            order("a", "p", due=0),
            order("b", "q", due=0),
            order("c", "p", due=0),
        ],
        weights={"tardiness": 1.0, "makespan": 1.0},
    )
    return scenario_from_data(data)


def test_holding_every_sequence_keeps_machine_order() -> None:
    scenario = _spread_scenario()
    data = build_problem(scenario)
    start = _start(data)
    # Push every operation an hour later: the same sequences, worse times.
    late = Schedule(
        start.accepted,
        start.sources,
        [
            type(p)(p.order, p.line, p.position, p.machine, p.staff, p.start + 60, p.end + 60)
            for p in start.ops
        ],
    )
    built = build_model(data)
    hold_sequences(built, late, set(), set())
    hint_schedule(built, late)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(built.model) == cp_model.OPTIMAL
    result = extract_schedule(built, solver)
    assert _sequences(result) == _sequences(late)
    assert terms(data, result).total < terms(data, late).total
    assert terms(data, result).total <= terms(data, start).total
    _checked(scenario, data, result)


@pytest.mark.parametrize("large", [False, True])
def test_sequence_steps_of_large_models_go_without_the_linear_relaxation(
    large: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = to_scenario(read_jsplib("la02"))
    data = build_problem(scenario)
    start = _start(data)
    monkeypatch.setattr(sequence, "STEP_LP_OPERATIONS", len(data.ops) + (0 if large else 1))
    levels: list[int] = []
    solve_step = cp_model.CpSolver.solve

    def seen(self: cp_model.CpSolver, model: cp_model.CpModel, *args: object) -> object:
        levels.append(self.parameters.linearization_level)
        return solve_step(self, model, *args)

    monkeypatch.setattr(cp_model.CpSolver, "solve", seen)
    shared = Incumbent(data, start)
    improve_sequences(build_model(data), shared, time.monotonic() + 1.5, 1, seed=0)
    assert levels
    assert set(levels) == ({0} if large else {cp_model.CpSolver().parameters.linearization_level})
    assert terms(data, shared.get()[0]).total <= terms(data, start).total
    _checked(scenario, data, shared.get()[0])


def test_incumbent_keeps_the_best_and_reports_it() -> None:
    scenario = _spread_scenario()
    data = build_problem(scenario)
    start = _start(data)
    reported: list[Fraction] = []
    shared = Incumbent(data, start, lambda _s, value: reported.append(value))
    worse = Schedule(
        start.accepted,
        start.sources,
        [
            type(p)(p.order, p.line, p.position, p.machine, p.staff, p.start + 60, p.end + 60)
            for p in start.ops
        ],
    )
    assert not shared.offer(worse)
    assert shared.get()[0] is start
    shared.flush()
    assert reported == []


@pytest.mark.parametrize("workers", [1, 2])
def test_portfolio_improves_a_job_shop(workers: int) -> None:
    scenario = to_scenario(read_jsplib("la02"))
    data = build_problem(scenario)
    built = build_model(data)
    start = _start(data)
    values: list[Fraction] = []
    best = improve(
        built,
        start,
        time.monotonic() + 3,
        workers,
        seed=0,
        on_improve=lambda _s, v: values.append(v),
    )
    assert terms(data, best).total <= terms(data, start).total
    assert values == sorted(values, reverse=True)
    if values:
        assert values[-1] == terms(data, best).total
    _checked(scenario, data, best)


def test_portfolio_improves_a_plant() -> None:
    scenario = scenario_from_data(generate(25, 4))
    data = build_problem(scenario)
    start = _start(data)
    best = improve(build_model(data), start, time.monotonic() + 3, 2, seed=0)
    assert terms(data, best).total <= terms(data, start).total
    _checked(scenario, data, best)


def test_solve_uses_the_portfolio_and_its_plan_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A whole-model share of zero sends the solve straight to the portfolio.
    monkeypatch.setattr(
        solver_module, "WHOLE_MODEL_SHARE", dict.fromkeys(("small", "medium", "large"), 0.01)
    )
    monkeypatch.setattr(solver_module, "WHOLE_MODEL_OPERATIONS", 0)
    scenario = to_scenario(read_jsplib("la03"))
    result = solve(scenario, SolveParams(time_limit=4, workers=2, seed=0), with_plans=True)
    assert result.has_plan
    assert result.plan.method == "cp+lns"
    report = check_plan(scenario, result.plan)
    assert report.ok, report.violations


def test_a_flexible_job_shop_gets_the_portfolio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver_module, "FLEXIBLE_SHARE", 0.01)
    calls: list[bool] = []
    real = solver_module.portfolio.improve

    def recorded(*args: object, **kwargs: object) -> Schedule:
        calls.append(True)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(solver_module.portfolio, "improve", recorded)
    rows = tuple(
        tuple({(j + k) % 4: 3 + j * k % 7, (j + 2 * k + 1) % 4: 4 + (j + k) % 5} for k in range(5))
        for j in range(15)
    )
    scenario = to_scenario(Instance("flexible", 4, rows))
    result = solve(scenario, SolveParams(time_limit=3, workers=2, seed=0))
    assert calls == [True]
    assert result.plan.method == "cp+lns"
    report = check_plan(scenario, result.plan)
    assert report.ok, report.violations


def test_strong_no_overlap_propagation_only_for_small_job_shops() -> None:
    assert model_defaults(build_problem(to_scenario(read_jsplib("ft06")))) == {
        "use_strong_propagation_in_disjunctive": True
    }
    assert model_defaults(build_problem(to_scenario(read_jsplib("ta41")))) == {}
    flexible = Instance("flexible", 2, (({0: 3, 1: 4}, {1: 2}), ({1: 3}, {0: 2, 1: 5})))
    assert model_defaults(build_problem(to_scenario(flexible))) == {}


def test_parameters_by_name_include_repeated_fields() -> None:
    solver = cp_model.CpSolver()
    apply_parameters(solver.parameters, {"ignore_subsolvers": ["ls"], "num_workers": 3})
    apply_parameters(solver.parameters, {"ignore_subsolvers": ["fj", "ls"]})
    assert list(solver.parameters.ignore_subsolvers) == ["fj", "ls"]
    assert solver.parameters.num_workers == 3


def test_a_large_job_shop_goes_straight_to_the_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver_module, "SMALL_MODEL", 0)
    monkeypatch.setattr(solver_module, "LARGE_MODEL", 0)
    scenario = to_scenario(read_jsplib("la04"))
    result = solve(scenario, SolveParams(time_limit=3, workers=2, seed=0), with_plans=True)
    assert result.has_plan
    assert result.plan.method == "cp-lns"
    report = check_plan(scenario, result.plan)
    assert report.ok, report.violations


def test_an_interrupted_portfolio_stops_its_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> Schedule:
        raise KeyboardInterrupt

    monkeypatch.setattr(tabu, "tabu_search", interrupted)
    scenario = to_scenario(read_jsplib("la02"))
    data = build_problem(scenario)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        improve(build_model(data), _start(data), started + 120, 2, seed=0)
    # The helper ends after its current step (at most 2 s), not at the deadline.
    assert time.monotonic() - started < 60


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(lambda flexible: job_shops(flexible)), st.integers(0, 1000))
def test_every_tabu_move_keeps_the_sequences_acyclic(instance: Instance, seed: int) -> None:
    data = build_problem(to_scenario(instance))
    shop, sequences = tabu._shop(data, _serial_start(data))
    graph = tabu._Graph(shop, sequences)
    rng = random.Random(seed)
    for _ in range(5):
        path = graph.critical_path().copy()
        rows = graph.moves(path)
        if not len(rows):
            break
        before = [list(seq) for seq in graph.sequences]
        for row in rows:
            undo = graph.apply(row, path)
            assert undo is not None, f"move {row.tolist()} closed a cycle"
            if row[0] == REASSIGN:
                assert shop.machine[row[1]] == row[2]
                assert row[1] in graph.sequences[row[2]]
            undo()
            assert graph.sequences == before
        graph.apply(rows[rng.randrange(len(rows))], path)
