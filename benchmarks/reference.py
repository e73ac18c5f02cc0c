"""The plain CP-SAT model a user writes in an afternoon: the reference our engine must beat.

One interval per operation and eligible machine (optional, with exactly one
present, when there are several), precedence along each routing, one
no-overlap per machine, the policy's objective, CP-SAT's default parameters
and no solution hints; only the time limit, the number of workers and the seed
are set, the same as for our engine. On a scenario imported from a job-shop
instance (:mod:`benchmarks.instances`: machines always open, one order per
job, makespan objective) it is exactly the textbook job-shop model.

On plant scenarios it covers, in the same plain style:

- release and horizon as bounds of the start and end variables;
- machine calendars, closures and downtime as fixed intervals in the
  machine's no-overlap;
- staff: one optional interval per person holding the skill, ``crew`` of them
  present, a no-overlap per person with the person's closed time as fixed
  intervals;
- materials: a reservoir per material (on hand at the start, receipts at
  their instants, each line taking its need when its first operation starts);
- changeovers: a separation of ``changeover`` minutes between every pair of
  operations of different setup families on a machine (with one changeover
  time per machine this is the rule on directly consecutive operations: any
  other pair has an operation between them), and only while the pairs stay
  below :data:`MAX_CHANGEOVER_PAIRS`; beyond that they are left out and the
  plan is likely to fail the checker;
- objective: weighted tardiness and makespan, exact; changeover time is not
  in its objective (it is counted in the plan's recomputed objective).

Left out: stock (every line is produced, which is always allowed) and
rejection (every order is accepted). Every plan is verified by the independent
checker (:func:`engine.check.check_plan`), which also recomputes its
objective: a plan that breaks a rule is reported as ``invalid``.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from engine.check import check_plan
from engine.model import Scenario
from engine.timegrid import TimeGrid

__all__ = [
    "MAX_CHANGEOVER_PAIRS",
    "Placed",
    "ReferenceResult",
    "checked",
    "plan_document",
    "solve_pyjobshop",
    "solve_reference",
]

MAX_CHANGEOVER_PAIRS = 200_000
"""Above this many operation pairs needing a changeover, changeovers are left out of the model."""


@dataclass(frozen=True)
class ReferenceResult:
    """Outcome of the plain model.

    Parameters
    ----------
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``unknown`` (no plan in time).
    objective
        The plan's objective total as recomputed by the checker (``None`` without a plan).
    bound
        CP-SAT's proven lower bound on the plain model's objective.
    time_to_first, time_to_best
        Seconds from the call (model building included) to the first plan and
        to the plan it ends with.
    seconds
        Total seconds of the call.
    checker_ok
        Whether the plan passes the independent checker (``None`` without a plan).
    violations
        The checker's messages, if any.
    plan
        The plan document (format of ``scenario-format.md``), if any.
    """

    status: str
    objective: float | None
    bound: float | None
    time_to_first: float | None
    time_to_best: float | None
    seconds: float
    checker_ok: bool | None = None
    violations: list[str] = field(default_factory=list)
    plan: dict[str, Any] | None = None


class _Timer(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.events: list[tuple[float, float]] = []

    def on_solution_callback(self) -> None:
        self.events.append((time.monotonic() - self.started, self.objective_value))


@dataclass
class _Op:
    order: int
    line: int
    name: str
    family: str | None
    start: cp_model.IntVar
    end: cp_model.IntVar
    modes: dict[str, cp_model.IntVar]
    """Machine -> presence literal (a constant true literal when it is the only machine)."""
    staff: dict[str, cp_model.IntVar] = field(default_factory=dict)


def _closed(open_time: list[tuple[int, int]], horizon: int) -> list[tuple[int, int]]:
    gaps, at = [], 0
    for lo, hi in open_time:
        if lo > at:
            gaps.append((at, lo))
        at = max(at, hi)
    if at < horizon:
        gaps.append((at, horizon))
    return gaps


def _per_minute(weight: float, scale: Fraction) -> Fraction:
    return Fraction(repr(float(weight))) * scale / 60


def solve_reference(
    scenario: Scenario, time_limit: float, workers: int = 2, seed: int = 0
) -> ReferenceResult:
    """Build and solve the plain model of a scenario, and check its plan.

    Parameters
    ----------
    scenario
        A validated scenario.
    time_limit
        Seconds CP-SAT may search (model building is not counted in it, as for our engine).
    workers
        CP-SAT search workers.
    seed
        CP-SAT random seed.

    Returns
    -------
    ReferenceResult
        The plan's checked objective, the bound and the timings.
    """
    started = time.monotonic()
    grid = TimeGrid(scenario)
    horizon = grid.end
    model = cp_model.CpModel()
    machine_items: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    person_items: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    ops: list[_Op] = []
    line_ops: dict[tuple[int, int], list[_Op]] = {}
    reservoir: dict[str, list[tuple[cp_model.LinearExprT, int]]] = defaultdict(list)

    for o, order in enumerate(scenario.orders):
        release = grid.release(order.id)
        for k, line in enumerate(order.lines):
            product = scenario.product_by_id[line.product]
            chain: list[_Op] = []
            for position, spec in enumerate(product.routing):
                tag = f"o{o}_l{k}_p{position}"
                start = model.new_int_var(release, horizon, f"start_{tag}")
                end = model.new_int_var(release, horizon, f"end_{tag}")
                durations = {m: spec.duration(m, line.quantity) for m in spec.machines}
                size = model.new_int_var(
                    min(durations.values()), max(durations.values()), f"size_{tag}"
                )
                modes: dict[str, cp_model.IntVar] = {}
                for machine, duration in durations.items():
                    if len(durations) == 1:
                        present = model.new_constant(1)
                        machine_items[machine].append(
                            model.new_interval_var(start, duration, end, f"run_{tag}_{machine}")
                        )
                        model.add(size == duration)
                    else:
                        present = model.new_bool_var(f"on_{tag}_{machine}")
                        machine_items[machine].append(
                            model.new_optional_interval_var(
                                start, duration, end, present, f"run_{tag}_{machine}"
                            )
                        )
                        model.add(size == duration).only_enforce_if(present)
                    modes[machine] = present
                model.add_exactly_one(modes.values())
                op = _Op(o, k, spec.id, spec.setup_family, start, end, modes)
                if spec.skill is not None and spec.crew_size > 0:
                    for member in scenario.staff_with_skill(spec.skill):
                        works = model.new_bool_var(f"crew_{tag}_{member.id}")
                        person_items[member.id].append(
                            model.new_optional_interval_var(
                                start, size, end, works, f"work_{tag}_{member.id}"
                            )
                        )
                        op.staff[member.id] = works
                    model.add(sum(op.staff.values()) == spec.crew_size)
                if chain:
                    model.add(chain[-1].end <= start)
                chain.append(op)
                ops.append(op)
            line_ops[o, k] = chain
            for material_id, need in product.materials.items():
                reservoir[material_id].append((chain[0].start, -need * line.quantity))

    # Closed time as fixed intervals, so that no operation overlaps it.
    for machine, open_time in grid.machine_open.items():
        for lo, hi in _closed(open_time, horizon):
            machine_items[machine].append(model.new_fixed_size_interval_var(lo, hi - lo, "closed"))
    for person, open_time in grid.staff_open.items():
        for lo, hi in _closed(open_time, horizon):
            person_items[person].append(model.new_fixed_size_interval_var(lo, hi - lo, "off"))
    for items in (*machine_items.values(), *person_items.values()):
        model.add_no_overlap(items)

    for material in scenario.materials:
        events = reservoir.get(material.id)
        if not events:
            continue
        supply: list[tuple[cp_model.LinearExprT, int]] = [(0, material.on_hand)]
        supply += [(max(0, grid.minute(r.at)), r.quantity) for r in material.receipts]
        times, changes = zip(*(supply + events), strict=True)
        total = material.on_hand + sum(r.quantity for r in material.receipts)
        model.add_reservoir_constraint(list(times), list(changes), 0, total)

    changeovers = _changeover_pairs(scenario, ops)
    if len(changeovers) <= MAX_CHANGEOVER_PAIRS:
        for a, b, machine, gap in changeovers:
            both = [a.modes[machine], b.modes[machine]]
            a_first = model.new_bool_var("")
            model.add(a.end + gap <= b.start).only_enforce_if([a_first, *both])
            model.add(b.end + gap <= a.start).only_enforce_if([~a_first, *both])

    # Objective per minute, scaled to integers exactly.
    weights = scenario.policy.weights
    terms: list[tuple[Fraction, cp_model.IntVar]] = []
    if weights.tardiness > 0:
        for o, order in enumerate(scenario.orders):
            done = model.new_int_var(0, horizon, f"done_o{o}")
            model.add_max_equality(done, [line_ops[o, k][-1].end for k in range(len(order.lines))])
            late = model.new_int_var(0, horizon, f"late_o{o}")
            model.add_max_equality(late, [0, done - grid.minute(order.due)])
            coef = _per_minute(weights.tardiness, Fraction(repr(scenario.tier_weight(order))))
            terms.append((coef, late))
    if weights.makespan > 0:
        makespan = model.new_int_var(0, horizon, "makespan")
        model.add_max_equality(makespan, [op.end for op in ops])
        terms.append((_per_minute(weights.makespan, Fraction(1)), makespan))
    scale = math.lcm(*(c.denominator for c, _ in terms)) if terms else 1
    model.minimize(sum(int(c * scale) * var for c, var in terms))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    timer = _Timer(started)
    code = solver.solve(model, timer)
    seconds = time.monotonic() - started
    status = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ReferenceResult(status, None, None, None, None, seconds)
    bound = solver.best_objective_bound / scale if terms else 0.0
    placed = [
        Placed(
            op.order,
            op.line,
            op.name,
            next(m for m, lit in op.modes.items() if solver.boolean_value(lit)),
            tuple(p for p, lit in op.staff.items() if solver.boolean_value(lit)),
            solver.value(op.start),
            solver.value(op.end),
        )
        for op in ops
    ]
    plan = plan_document(scenario, placed, status, seconds, "plain-cp-sat")
    objective, violations = checked(scenario, plan)
    best = timer.events[-1][0] if timer.events else seconds
    first = timer.events[0][0] if timer.events else seconds
    return ReferenceResult(
        status, objective, bound, first, best, seconds, not violations, violations, plan
    )


def _changeover_pairs(scenario: Scenario, ops: list[_Op]) -> list[tuple[_Op, _Op, str, int]]:
    pairs: list[tuple[_Op, _Op, str, int]] = []
    for machine in scenario.machines:
        if machine.changeover <= 0:
            continue
        candidates = [op for op in ops if machine.id in op.modes and op.family is not None]
        for i, a in enumerate(candidates):
            for b in candidates[i + 1 :]:
                if a.family != b.family:
                    pairs.append((a, b, machine.id, machine.changeover))
                    if len(pairs) > MAX_CHANGEOVER_PAIRS:
                        return pairs
    return pairs


@dataclass(frozen=True)
class Placed:
    """One operation of a comparison solver's schedule, in minutes from the horizon start."""

    order: int
    line: int
    operation: str
    machine: str
    staff: tuple[str, ...]
    start: int
    end: int


def plan_document(
    scenario: Scenario, placed: list[Placed], status: str, seconds: float, method: str
) -> dict[str, Any]:
    """The plan document of a schedule in which every order is accepted and every line produced.

    The objective is left out: :func:`checked` recomputes it.
    """
    grid = TimeGrid(scenario)
    done: dict[int, int] = {}
    for p in placed:
        done[p.order] = max(done.get(p.order, p.end), p.end)
    rank = {o: r for r, o in enumerate(sorted(done, key=lambda o: (done[o], o)), start=1)}
    orders = [
        {
            "id": order.id,
            "accepted": True,
            "priority": rank.get(o),
            "completion": grid.instant(done[o]).isoformat() if o in done else None,
            "tardiness_minutes": max(0, done.get(o, 0) - grid.minute(order.due)),
            "lines": [
                {"product": line.product, "quantity": line.quantity, "source": "production"}
                for line in order.lines
            ],
        }
        for o, order in enumerate(scenario.orders)
    ]
    assignments = [
        {
            "order": scenario.orders[p.order].id,
            "line": p.line,
            "operation": p.operation,
            "machine": p.machine,
            "staff": list(p.staff),
            "start": grid.instant(p.start).isoformat(),
            "end": grid.instant(p.end).isoformat(),
        }
        for p in placed
    ]
    return {
        "scenario": scenario.name,
        "status": status,
        "bound": None,
        "solve_seconds": seconds,
        "orders": orders,
        "assignments": assignments,
        "method": method,
    }


def checked(scenario: Scenario, plan: dict[str, Any]) -> tuple[float, list[str]]:
    """Check a plan document written without objective figures; fill them in from the checker.

    Returns
    -------
    tuple
        The recomputed objective total and the checker's messages (empty when
        the plan is valid). The checker's only complaint about the objective,
        that the figures are missing, is not counted.
    """
    report = check_plan(scenario, plan)
    plan["objective"] = dict(report.objective)
    violations = [str(v) for v in report.violations if v.rule != "objective"]
    return report.objective["total"], violations


def pyjobshop_available() -> bool:
    """Whether PyJobShop is installed (the optional ``compare`` extra)."""
    try:
        import pyjobshop  # noqa: F401
    except ImportError:
        return False
    return True


def pyjobshop_applicable(scenario: Scenario) -> str | None:
    """Why PyJobShop cannot take this scenario as we model it, or ``None`` when it can.

    The comparison covers (flexible) job shops: machines always open, no staff,
    materials, stock, changeovers or releases, and a makespan objective.
    """
    if scenario.staff or scenario.materials or scenario.stock:
        return "staff, materials or stock"
    if any(m.calendar != "always" or m.downtime or m.changeover for m in scenario.machines):
        return "machine calendars, downtime or changeovers"
    if any(o.release is not None for o in scenario.orders):
        return "order releases"
    w = scenario.policy.weights
    if w.tardiness or w.rejection or w.changeover:
        return "an objective other than makespan"
    return None


def solve_pyjobshop(
    scenario: Scenario, time_limit: float, workers: int = 2, seed: int = 0
) -> ReferenceResult:
    """Solve a (flexible) job-shop scenario with PyJobShop's OR-Tools backend, and check the plan.

    PyJobShop reports no time to its first solution: ``time_to_first`` is
    ``None`` and ``time_to_best`` its total runtime. The seed is passed to
    CP-SAT as ``random_seed``.

    Raises
    ------
    ValueError
        When :func:`pyjobshop_applicable` gives a reason.
    """
    from pyjobshop import Model

    reason = pyjobshop_applicable(scenario)
    if reason is not None:
        raise ValueError(f"{scenario.name}: PyJobShop comparison does not cover {reason}")
    started = time.monotonic()
    horizon = TimeGrid(scenario).end
    model = Model()
    machines = {m.id: model.add_machine(name=m.id) for m in scenario.machines}
    keys: list[tuple[int, int, str]] = []
    for o, order in enumerate(scenario.orders):
        job = model.add_job(name=order.id)
        for k, line in enumerate(order.lines):
            previous = None
            for spec in scenario.product_by_id[line.product].routing:
                task = model.add_task(job=job, latest_end=horizon, name=f"{order.id}/{spec.id}")
                for machine in spec.machines:
                    model.add_mode(task, machines[machine], spec.duration(machine, line.quantity))
                if previous is not None:
                    model.add_end_before_start(previous, task)
                previous = task
                keys.append((o, k, spec.id))
    model.set_objective(weight_makespan=1)
    result = model.solve(
        "ortools", time_limit=time_limit, display=False, num_workers=workers, random_seed=seed
    )
    seconds = time.monotonic() - started
    status = str(getattr(result.status, "value", result.status)).lower()
    found = "feasible" in status or "optimal" in status
    if not found or result.best is None or not result.best.tasks:
        return ReferenceResult("unknown", None, None, None, None, seconds)
    status = "optimal" if "optimal" in status else "feasible"
    names = list(machines)
    placed = [
        Placed(o, k, op, names[task.resources[0]], (), task.start, task.end)
        for (o, k, op), task in zip(keys, result.best.tasks, strict=True)
    ]
    plan = plan_document(scenario, placed, status, seconds, "pyjobshop")
    objective, violations = checked(scenario, plan)
    return ReferenceResult(
        status,
        objective,
        float(result.lower_bound),
        None,
        result.runtime,
        seconds,
        not violations,
        violations,
        plan,
    )
