"""Why a scenario has no plan, in terms a planner can act on.

Two stages. :func:`static_reasons` finds what is impossible by itself: an
operation no eligible machine (with its crew) can ever fit between the
order's release and the horizon end, a firm order that cannot finish in the
horizon even alone, a material that firm orders need more of than will ever
arrive. :func:`diagnose_infeasible` handles conflicts between orders: it
re-solves with each firm order's acceptance as an assumption, shrinks the
conflicting set, and tests which constraint family, once relaxed, lets it fit.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from ortools.sat.python import cp_model

from engine.problem import OpData, OrderData, ProblemData
from engine.solve.params import SolveParams
from engine.timegrid import intersect


def _fmt(data: ProblemData, minute: int) -> str:
    return data.grid.instant(minute).isoformat(timespec="minutes")


def _op_reason(data: ProblemData, order: OrderData, line_index: int, op: OpData) -> str:
    line = order.lines[line_index]
    head = (
        f"order {order.id} line {line_index} ({line.product} x{line.quantity}): "
        f"operation '{op.name}'"
    )
    grid = data.grid
    details: list[str] = []
    for mode in op.modes:
        open_time = grid.machine_open[mode.machine]
        longest = max((b - a for a, b in open_time), default=0)
        if longest < mode.duration:
            details.append(
                f"takes {mode.duration} min on {mode.machine}, whose longest working stretch "
                f"is {longest} min"
            )
            continue
        if op.crew:
            people = list(op.candidates)
            best = 0
            for person in people:
                both = intersect(open_time, grid.staff_open[person])
                best = max(best, max((b - a for a, b in both), default=0))
            if best < mode.duration:
                details.append(
                    f"takes {mode.duration} min on {mode.machine}, but no one with skill "
                    f"'{op.skill}' works that long at a stretch while {mode.machine} runs "
                    f"(longest {best} min)"
                )
                continue
        details.append(
            f"takes {mode.duration} min on {mode.machine} and cannot fit, after the previous "
            f"operations, between the release {_fmt(data, order.release)} and the horizon end "
            f"{_fmt(data, data.horizon)}"
        )
    return f"{head} can never be scheduled: " + "; ".join(details)


def static_reasons(data: ProblemData) -> list[str]:
    """Reasons that some firm order cannot be served even with the plant to itself."""
    reasons: list[str] = []
    demand: dict[str, int] = defaultdict(int)
    for order in data.orders:
        if not order.firm:
            continue
        for line in order.lines:
            if line.stockable:
                continue
            if not line.producible:
                op = next(op for op in line.ops if not op.feasible)
                reason = _op_reason(data, order, line.index, op)
                stock = data.stock.get(line.product, 0)
                if stock:
                    reason += f" (stock of {line.product} is {stock}, fewer than {line.quantity})"
                reasons.append(reason)
                continue
            for material_id, need in line.materials.items():
                demand[material_id] += need
    for material_id, need in demand.items():
        material = data.materials.get(material_id)
        if material is not None and need > material.total:
            reasons.append(
                f"material {material_id}: firm orders that must be produced need {need}, but only "
                f"{material.total} will ever be available ({material.on_hand} on hand plus "
                "receipts)"
            )
    return reasons


def _feasible(
    data: ProblemData,
    orders: list[int],
    seconds: float,
    seed: int,
    skip: frozenset[str] = frozenset(),
) -> bool | None:
    """Whether the firm orders ``orders`` alone (others rejected) admit a plan."""
    from engine.build import build_model

    keep = set(orders)
    sub = dataclasses.replace(
        data,
        orders=[o if o.index in keep else dataclasses.replace(o, firm=False) for o in data.orders],
    )
    built = build_model(sub, skip=skip)
    built.model.clear_objective()
    for ov in built.vars.orders:
        if ov.index not in keep:
            built.model.add(ov.accepted == 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    code = solver.solve(built.model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    if code == cp_model.INFEASIBLE:
        return False
    return None


def _core(data: ProblemData, seconds: float, seed: int) -> list[int]:
    """A set of firm orders that cannot all be served, from solver assumptions."""
    from engine.build import build_model

    relaxed = dataclasses.replace(
        data, orders=[dataclasses.replace(o, firm=False) for o in data.orders]
    )
    built = build_model(relaxed)
    built.model.clear_objective()
    firm = [o.index for o in data.orders if o.firm]
    literal = {built.vars.orders[i].accepted.index: i for i in firm}
    built.model.add_assumptions([built.vars.orders[i].accepted for i in firm])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    code = solver.solve(built.model)
    if code != cp_model.INFEASIBLE:
        return firm
    core = [literal[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in literal]
    return sorted(core) or firm


def diagnose_infeasible(data: ProblemData, params: SolveParams) -> list[str]:
    """Name the firm orders that conflict and the resources that, relaxed, would let them fit."""
    budget = min(20.0, max(2.0, params.time_limit))
    per_solve = max(0.5, budget / 12)
    core = _core(data, per_solve * 2, params.seed)
    # Deletion filter: drop each order whose removal keeps the rest infeasible.
    if len(core) <= 12:
        for index in list(core):
            trial = [i for i in core if i != index]
            if trial and _feasible(data, trial, per_solve, params.seed) is False:
                core = trial
    names = ", ".join(data.orders[i].id for i in core)
    lead = (
        f"firm order {names} cannot be served within the horizon"
        if len(core) == 1
        else f"firm orders {names} cannot all be served within the horizon"
    )
    culprits: list[str] = []
    for family, words in (
        ("materials", "materials run short (receipts arrive too late or too little)"),
        ("staff", "there are not enough skilled people at the same time"),
        ("changeovers", "changeovers between setup families take too long"),
    ):
        if _feasible(data, core, per_solve, params.seed, frozenset({family})) is True:
            culprits.append(words)
    load = _machine_load(data, core)
    text = lead
    if culprits:
        text += ": they would fit if not for this: " + "; ".join(culprits)
    elif load:
        text += ": " + load
    else:
        text += (
            ": machine time in the working calendars between their releases and the horizon "
            "end is too short"
        )
    return [
        text,
        "to resolve: extend the horizon, open more working time (shifts, fewer closures), "
        "add eligible machines or staff, or make one of these orders optional (firm: false)",
    ]


def _machine_load(data: ProblemData, core: list[int]) -> str:
    """The busiest machine that the conflicting orders have no alternative to, if heavily loaded."""
    need: dict[str, int] = defaultdict(int)
    earliest: dict[str, int] = {}
    for index in core:
        order = data.orders[index]
        for line in order.lines:
            if line.stockable:
                continue
            for op in line.ops:
                if len(op.modes) == 1:
                    machine = op.modes[0].machine
                    need[machine] += op.modes[0].duration
                    earliest[machine] = min(earliest.get(machine, order.release), order.release)
    worst = ""
    ratio = 0.0
    for machine, minutes in need.items():
        open_time = sum(
            max(0, min(b, data.horizon) - max(a, earliest[machine]))
            for a, b in data.grid.machine_open[machine]
        )
        if open_time and minutes / open_time > ratio:
            ratio = minutes / open_time
            worst = (
                f"they compete for {machine}: together they need {minutes} min on it, and it "
                f"has {open_time} min of working time from {_fmt(data, earliest[machine])} to "
                "the horizon end, not all of it usable once routing precedence and shift "
                "boundaries are respected"
            )
    return worst if ratio > 0.25 else ""
