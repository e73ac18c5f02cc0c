"""The narrow entry point: ``solve(scenario, params) -> Result``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, TypeGuard

from ortools.sat.python import cp_model

from engine.build import BuiltModel, build_model, estimate_variables
from engine.build.staff import name_crews
from engine.build.variables import OpVar
from engine.dispatch import dispatch_order, improve_order
from engine.explain.diagnose import diagnose_infeasible, static_reasons
from engine.model import Objective, Plan, Scenario, Status
from engine.problem import ProblemData, build_problem
from engine.schedule import Schedule, ScheduledOp, compact, lower_bound, make_plan, terms
from engine.solve import portfolio, tabu
from engine.solve.params import SolveParams, model_defaults, profile


@dataclass(frozen=True)
class Progress:
    """An improving plan found during a solve."""

    elapsed: float
    objective: float
    bound: float | None
    source: str
    plan: Plan | None = None
    """The improving plan itself, when the solve was asked for plans (``with_plans``)."""

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0 when proven optimal)."""
        if self.bound is None:
            return None
        if self.objective <= 1e-9:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class Result:
    """The outcome of a solve.

    ``plan`` is always set: for ``infeasible`` and ``unknown`` it carries no
    assignments and ``reasons`` says why.
    """

    status: Status
    plan: Plan
    seconds: float
    progress: list[Progress] = field(default_factory=list)

    @property
    def objective(self) -> Objective | None:
        """Objective terms, or None without a plan."""
        return self.plan.objective if self.has_plan else None

    @property
    def bound(self) -> float | None:
        """Proven lower bound on the objective total."""
        return self.plan.bound

    @property
    def has_plan(self) -> bool:
        """Whether a plan was found."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def reasons(self) -> list[str]:
        """Why there is no plan."""
        return self.plan.reasons


IMPROVE_SHARE = {"small": 0.05, "medium": 0.2, "large": 0.1}
"""Share of the time limit for the heuristic's own search, by model size, before CP-SAT.

On large plants the search goes on beside the neighbourhood search afterwards
(:func:`engine.solve.portfolio.improve_plant`), so its time alone, with one core
idle, is kept short: a tenth instead of 30% gave 3-5% lower objectives on loaded
plants of 300 and 500 orders at 30 s. A large plant led by lateness (see
:func:`engine.solve.portfolio.lateness_led`) skips it: its greedy searches start
at once on both cores, each racing first sweeps from the dispatched plan, which an
earlier search would have narrowed to one (on a loaded plant of 500 orders at 60 s
the median objective fell from 0.60 to 0.51 of the dispatched plan's)."""

SMALL_MODEL = 6_000
"""Estimated variables up to which CP-SAT alone works on the whole model for the whole time."""

WHOLE_MODEL_SHARE = {"small": 0.4, "medium": 0.5, "large": 0.5}
"""Share of the remaining time for CP-SAT on the whole model when a plan is already known.

The rest goes to the searches that improve a plan (:mod:`engine.solve.portfolio`
up to medium models, the time-window neighbourhood search on large ones)."""

PLANT_WHOLE_MODEL_SHARE = 0.2
"""Share of the remaining time for CP-SAT on the whole model of a medium-sized plant.

The rest goes to :func:`engine.solve.portfolio.improve_plant`. On loaded plants of
100 orders at 20 s this gave lower objectives on five of six seeds than half the
time on the whole model, which rarely improves the dispatcher's plan that soon."""

WHOLE_MODEL_OPERATIONS = 300
"""Operations up to which a small model gets CP-SAT on the whole model for the whole time.

Measured on Taillard's instances at 30 s: on 15 x 15 CP-SAT alone (with strong
no-overlap propagation) is level with the searches of
:mod:`engine.solve.portfolio` and proves more plans optimal; on 20 x 20 the
portfolio after a share on the whole model is ahead (1.5% against 2.7% above
best-known on ta21-ta23), and from there on by more."""

FLEXIBLE_SHARE = 0.25
"""Share of the remaining time for CP-SAT on the whole model of a flexible job shop.

The rest goes to :mod:`engine.solve.portfolio`, whose tabu search also moves
work between machines. At 20 s it gave 58, 143 and 199 on Brandimarte's mk06,
mk07 and mk10 against 60, 144 and 230 for the whole model alone, 1525 against
1583 on Hurink's rdata-84 and 1503 against 1619 on vdata-129; half the time
on the whole model was no better, and a tenth level with a quarter."""

PLANT_SEARCH_SECONDS = 1.0
"""Seconds that must be left after the whole model of a plant for its searches to run."""

JOB_SHOP_SEARCH_SECONDS = 0.25
"""Seconds that must be left after the whole model of a job shop for its searches to run.

The tabu search improves from its first step: a 3 s solve of a 100 x 20 job
shop (half of what was left on the whole model, then less than a second)
ended at 6,796 when they needed a second, and at 5,557 to 5,589 with this (the plain
CP-SAT model: 5,943)."""

LARGE_MODEL = 20_000
"""Estimated variables above which only the neighbourhood search runs (no whole model)."""


class _Watcher(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        built: BuiltModel,
        started: float,
        sink: Callable[[Progress], None],
        with_plans: bool,
    ) -> None:
        super().__init__()
        self._built = built
        self._started = started
        self._sink = sink
        self._with_plans = with_plans

    def on_solution_callback(self) -> None:
        scale = self._built.objective.scale
        elapsed = time.monotonic() - self._started
        bound = self.best_objective_bound / scale
        plan = None
        objective = self.objective_value / scale
        if self._with_plans:
            data = self._built.data
            schedule = compact(data, extract_schedule(self._built, self))
            plan = make_plan(
                data, schedule, Status.FEASIBLE, bound=bound, seconds=elapsed, method="cp"
            )
            objective = plan.objective.total
        self._sink(Progress(elapsed, objective, bound, "cp", plan))


def solve(
    scenario: Scenario,
    params: SolveParams | None = None,
    on_progress: ProgressCallback | None = None,
    *,
    with_plans: bool = False,
) -> Result:
    """Plan a scenario.

    Parameters
    ----------
    scenario
        A validated scenario.
    params
        Time limit, workers, seed, method and CP-SAT pass-through parameters.
    on_progress
        Called with every improving plan (the heuristic's first, then CP-SAT's).
    with_plans
        Attach each improving plan to its progress report (costs a little time per
        plan; a service uses it to keep the best plan of a solve that is stopped).

    Returns
    -------
    Result
        Status, plan with exact objective terms, proven bound and runtime.
    """
    return solve_problem(build_problem(scenario), params, on_progress, with_plans=with_plans)


def solve_problem(
    data: ProblemData,
    params: SolveParams | None = None,
    on_progress: ProgressCallback | None = None,
    *,
    with_plans: bool = False,
) -> Result:
    """Plan problem data already on its minute grid (see :func:`solve`)."""
    params = params or SolveParams()
    started = time.monotonic()
    history: list[Progress] = []

    def report(p: Progress) -> None:
        if history and p.objective >= history[-1].objective - 1e-12 and p.source != "dispatch":
            return
        history.append(dataclasses.replace(p, plan=None))
        if on_progress is not None:
            on_progress(p)

    reasons = static_reasons(data)
    if reasons:
        return _without_plan(data, Status.INFEASIBLE, reasons, started, history)

    def plan_of(schedule: Schedule, method: str) -> Plan | None:
        if not with_plans:
            return None
        elapsed = time.monotonic() - started
        return make_plan(
            data, compact(data, schedule), Status.FEASIBLE, seconds=elapsed, method=method
        )

    def improved(schedule: Schedule, value: Fraction) -> None:
        source = "search" if history else "dispatch"
        report(
            Progress(
                time.monotonic() - started, float(value), None, source, plan_of(schedule, source)
            )
        )

    size = estimate_variables(data)
    tier = "small" if size <= SMALL_MODEL else "large" if size > LARGE_MODEL else "medium"
    improve = IMPROVE_SHARE[tier] * params.time_limit if params.method == "cp" else None
    dispatched = dispatch_order(
        data,
        budget=0.05 * params.time_limit,
        improve=None if tier == "large" else improve,
        seed=params.seed,
        on_improve=improved,
    )
    # A large plant led by lateness goes straight to its greedy searches, which race
    # first sweeps from the dispatched plan (see portfolio.improve_plant).
    if (
        improve
        and tier == "large"
        and dispatched is not None
        and (tabu.applies(data) or not portfolio.lateness_led(data, dispatched.schedule))
    ):
        dispatched = improve_order(
            data, dispatched, time.monotonic() + improve, params.seed, improved
        )
    heuristic = None if dispatched is None else dispatched.schedule
    if params.method == "dispatch":
        if heuristic is None:
            return _without_plan(
                data,
                Status.UNKNOWN,
                ["the dispatching heuristic found no plan that serves every firm order"],
                started,
                history,
            )
        plan = make_plan(
            data,
            compact(data, heuristic),
            Status.FEASIBLE,
            seconds=time.monotonic() - started,
            method="dispatch",
        )
        return Result(Status.FEASIBLE, plan, time.monotonic() - started, history)

    if tabu.applies(data):
        # Compiles the tabu search's inner loops once after installing, while CP-SAT works.
        tabu.warm_up_in_background()
    deadline = started + params.time_limit
    weighted = any(
        (
            data.weights.tardiness,
            data.weights.rejection,
            data.weights.makespan,
            data.weights.changeover,
        )
    )
    if heuristic is not None and tier == "large" and weighted:
        on_improve = _reporter(data, started, report, with_plans, "cp-lns")
        if tabu.applies(data):
            # A large job shop: its searches on sequences beat any whole-model stage.
            best = portfolio.improve(
                build_model(data), heuristic, deadline, params.workers, params.seed, on_improve
            )
        else:
            best = portfolio.improve_plant(
                data, heuristic, deadline, params.workers, params.seed, on_improve, dispatched
            )
        return _feasible_result(data, best, float(lower_bound(data)), started, history, "cp-lns")
    built = build_model(data)
    large = tier == "large"
    if heuristic is not None:
        hint_schedule(built, heuristic)
        if built.objective.makespan is not None and set(built.objective.terms) == {"makespan"}:
            # Only the makespan counts: no better plan ends later than the one in hand.
            last = max((op.end for op in heuristic.ops), default=0)
            built.model.add(built.objective.makespan <= last)
    solver = cp_model.CpSolver()
    settings = model_defaults(data)
    if large:
        # Probing a large model costs most of the time limit before the search starts.
        settings["cp_model_probing_level"] = 0
    settings.update(profile(params.profile))
    settings.update(params.cp_sat)
    apply_parameters(solver.parameters, settings)
    remaining = max(0.05, deadline - time.monotonic())
    # With a plan in hand, the whole model gets a share of the time to prove or improve;
    # the rest goes to the neighbourhood search, which improves faster on larger plants.
    share = 1.0
    if heuristic is not None and built.objective.terms:
        if tabu.applies(data) and any(len(op.modes) > 1 for op in data.ops):
            share = FLEXIBLE_SHARE
        elif tier == "medium" and not tabu.applies(data):
            share = PLANT_WHOLE_MODEL_SHARE
        elif tier != "small" or len(data.ops) > WHOLE_MODEL_OPERATIONS:
            share = WHOLE_MODEL_SHARE[tier]
    solver.parameters.max_time_in_seconds = remaining * share
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    watcher = _Watcher(built, started, report, with_plans)
    code = solver.solve(built.model, watcher)

    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) or (
        code == cp_model.UNKNOWN and heuristic is not None
    ):
        chosen: Schedule
        bound: float | None
        if code == cp_model.UNKNOWN:
            assert heuristic is not None
            chosen, status, bound = heuristic, Status.FEASIBLE, None
        else:
            chosen = extract_schedule(built, solver)
            status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
            # Every term is non-negative, so zero is a bound too.
            bound = max(0.0, solver.best_objective_bound / built.objective.scale)
            if not built.objective.terms:
                bound = 0.0
            elif heuristic is not None and terms(data, heuristic).total < terms(data, chosen).total:
                chosen, status = heuristic, Status.FEASIBLE
        method = "cp"
        # A job shop's searches start at once; a plant's spend their first second
        # getting going (a process of their own, a first whole dispatch).
        least = JOB_SHOP_SEARCH_SECONDS if tabu.applies(data) else PLANT_SEARCH_SECONDS
        left = deadline - time.monotonic()
        if status != Status.OPTIMAL and built.objective.terms and left > least:
            method = "cp+lns"
            on_improve = _reporter(data, started, report, with_plans, method)
            if large:
                chosen = portfolio.improve_plant(
                    data, chosen, deadline, params.workers, params.seed, on_improve, dispatched
                )
            else:
                chosen = portfolio.improve(
                    built, chosen, deadline, params.workers, params.seed, on_improve, dispatched
                )
        bound = max(bound or 0.0, float(lower_bound(data)))
        if bound >= float(terms(data, chosen).total) - 1e-9:
            status = Status.OPTIMAL
        elapsed = time.monotonic() - started
        plan = make_plan(
            data, compact(data, chosen), status, bound=bound, seconds=elapsed, method=method
        )
        if status == Status.OPTIMAL:
            plan = plan.model_copy(update={"bound": plan.objective.total})
        return Result(status, plan, elapsed, history)
    if code == cp_model.INFEASIBLE:
        why = diagnose_infeasible(data, params)
        return _without_plan(data, Status.INFEASIBLE, why, started, history)
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"internal error, invalid CP-SAT model: {built.model.validate()}")
    return _without_plan(
        data,
        Status.UNKNOWN,
        [f"no plan found within the time limit of {params.time_limit:g} s; allow more time"],
        started,
        history,
    )


def apply_parameters(parameters: Any, settings: dict[str, Any]) -> None:
    """Set CP-SAT parameters by name; a list replaces a repeated field's values."""
    for key, value in settings.items():
        if isinstance(value, list | tuple):
            field = getattr(parameters, key)
            field.clear()
            field.extend(value)
        else:
            setattr(parameters, key, value)


def _reporter(
    data: ProblemData,
    started: float,
    report: Callable[[Progress], None],
    with_plans: bool,
    method: str,
) -> Callable[[Schedule, Fraction], None]:
    """A callback that reports a search's improving schedules as progress (with plans if asked)."""

    def improved(schedule: Schedule, value: Fraction) -> None:
        elapsed = time.monotonic() - started
        plan = None
        if with_plans:
            plan = make_plan(
                data, compact(data, schedule), Status.FEASIBLE, seconds=elapsed, method=method
            )
        report(Progress(elapsed, float(value), None, "lns", plan))

    return improved


def _feasible_result(
    data: ProblemData,
    schedule: Schedule,
    bound: float | None,
    started: float,
    history: list[Progress],
    method: str,
) -> Result:
    elapsed = time.monotonic() - started
    plan = make_plan(
        data, compact(data, schedule), Status.FEASIBLE, bound=bound, seconds=elapsed, method=method
    )
    return Result(Status.FEASIBLE, plan, elapsed, history)


def _without_plan(
    data: ProblemData,
    status: Status,
    reasons: list[str],
    started: float,
    history: list[Progress],
) -> Result:
    elapsed = time.monotonic() - started
    plan = Plan(
        scenario=data.scenario.name,
        status=status,
        bound=None,
        solve_seconds=round(elapsed, 3),
        method="cp",
        reasons=reasons,
        warnings=list(data.warnings),
    )
    return Result(status, plan, elapsed, history)


def extract_schedule(
    built: BuiltModel, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback
) -> Schedule:
    v = built.vars
    accepted = [bool(solver.boolean_value(o.accepted)) for o in v.orders]
    sources: dict[tuple[int, int], str] = {}
    placed: list[tuple[tuple[int, int, int], str, int, int]] = []
    crews: list[tuple[Hashable, int, int, dict[tuple[str, ...], int]]] = []
    for order in v.orders:
        if not accepted[order.index]:
            continue
        for line in order.lines:
            key = (order.index, line.data.index)
            if not solver.boolean_value(line.produce):
                sources[key] = "stock"
                continue
            sources[key] = "production"
            for op in line.ops:
                machine = next(m.machine for m in op.modes if solver.boolean_value(m.chosen))
                start, end = solver.value(op.start), solver.value(op.end)
                op_key = (*key, op.data.position)
                placed.append((op_key, machine, start, end))
                counts = {s.people: int(solver.value(s.count)) for s in op.staff}
                crews.append((op_key, start, end, {p: c for p, c in counts.items() if c}))
    names = name_crews(crews)
    ops = [
        ScheduledOp(o, line, position, machine, names.get((o, line, position), ()), start, end)
        for (o, line, position), machine, start, end in placed
    ]
    return Schedule(accepted, sources, ops)


def hint_schedule(built: BuiltModel, schedule: Schedule) -> None:
    """Hint every decision of a heuristic schedule, so CP-SAT starts from it."""
    model = built.model
    placed = {(op.order, op.line, op.position): op for op in schedule.ops}
    for order in built.vars.orders:
        on = schedule.accepted[order.index]
        model.add_hint(order.accepted, on)
        for line in order.lines:
            key = (order.index, line.data.index)
            produce = on and schedule.sources.get(key) == "production"
            model.add_hint(line.produce, produce)
            if line.from_stock is not None:
                model.add_hint(line.from_stock, on and not produce)
            for op in line.ops:
                p = placed.get((*key, op.data.position))
                if p is None:
                    _hint_absent(model, op)
                    continue
                model.add_hint(op.start, p.start)
                model.add_hint(op.end, p.end)
                model.add_hint(op.duration, p.end - p.start)
                for mode in op.modes:
                    if mode.chosen is not op.present:
                        model.add_hint(mode.chosen, mode.machine == p.machine)
                for s in op.staff:
                    if op.data.fixed_staff is not None:
                        continue
                    count = sum(1 for person in p.staff if person in s.people)
                    if _own_var(s.count, op):
                        model.add_hint(s.count, count)
                    if s.used is not op.present:
                        model.add_hint(s.used, count > 0)
    for order in built.vars.orders:
        data_order = built.data.orders[order.index]
        late = 0
        if schedule.accepted[order.index]:
            ends = [
                placed[(order.index, line.data.index, len(line.ops) - 1)].end
                if schedule.sources.get((order.index, line.data.index)) == "production"
                else data_order.stock_completion
                for line in order.lines
            ]
            late = max(0, max(ends, default=data_order.due) - data_order.due)
        model.add_hint(order.tardiness, late)
    if built.objective.makespan is not None:
        model.add_hint(built.objective.makespan, max((op.end for op in schedule.ops), default=0))
    for op_key, moved in built.objective.moves:
        p = placed.get(op_key)
        ref = built.data.baseline[op_key]
        model.add_hint(moved, abs(p.start - ref.start) if p is not None else 0)
    for seq in built.sequences:
        index: dict[int, ScheduledOp] = {}
        for i, (op, _mode) in enumerate(seq.nodes, start=1):
            p = placed.get((op.data.order, op.data.line, op.data.position))
            if p is not None and p.machine == seq.machine:
                index[i] = p
        sequence = sorted(index, key=lambda i: index[i].start)
        follows = set(zip([0, *sequence], [*sequence, 0], strict=True)) if sequence else {(0, 0)}
        for (i, j), lit in seq.arcs.items():
            model.add_hint(lit, (i, j) in follows)


def _hint_absent(model: cp_model.CpModel, op: OpVar) -> None:
    """Hint an operation that is not run at a consistent resting place (its first window)."""
    live = [m for m in op.modes if m.starts] or op.modes
    mode = live[0]
    start = mode.starts[0][0] if mode.starts else op.start.proto.domain[0]
    model.add_hint(op.start, start)
    model.add_hint(op.duration, mode.duration)
    model.add_hint(op.end, start + mode.duration)
    for m in op.modes:
        if m.chosen is not op.present:
            model.add_hint(m.chosen, False)
    for s in op.staff if op.data.fixed_staff is None else []:
        if _own_var(s.count, op):
            model.add_hint(s.count, 0)
        if s.used is not op.present:
            model.add_hint(s.used, False)


def _own_var(expr: cp_model.LinearExprT, op: OpVar) -> TypeGuard[cp_model.IntVar]:
    """Whether a crew count is a variable of its own (not the operation's presence)."""
    return isinstance(expr, cp_model.IntVar) and expr.index != op.present.index
