"""A schedule in minutes and the plan it makes: completions, priorities and exact objective terms.

Both the CP-SAT extraction and the dispatching heuristic produce a
:class:`Schedule`; :func:`make_plan` turns it into the format's plan, computing
every objective term exactly from the schedule, never from solver internals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise

from engine.model import Assignment, Objective, Plan, PlanLine, PlanOrder, Status
from engine.problem import LineData, ProblemData, first_start, intersect_starts


@dataclass(frozen=True)
class ScheduledOp:
    """One operation placed on a machine with its crew, in minutes from the horizon start."""

    order: int
    line: int
    position: int
    machine: str
    staff: tuple[str, ...]
    start: int
    end: int


@dataclass
class Schedule:
    """Order decisions and placed operations."""

    accepted: list[bool]
    sources: dict[tuple[int, int], str]
    ops: list[ScheduledOp] = field(default_factory=list)


@dataclass(frozen=True)
class Terms:
    """Exact objective terms of a schedule."""

    tardiness: Fraction
    rejection: Fraction
    makespan: Fraction
    changeover: Fraction
    stability: Fraction = Fraction(0)

    @property
    def total(self) -> Fraction:
        """Sum of the terms."""
        return self.tardiness + self.rejection + self.makespan + self.changeover + self.stability

    def objective(self) -> Objective:
        """The terms as the plan's objective block."""
        return Objective(
            total=float(self.total),
            tardiness=float(self.tardiness),
            rejection=float(self.rejection),
            makespan=float(self.makespan),
            changeover=float(self.changeover),
            stability=float(self.stability),
        )


def completions(data: ProblemData, schedule: Schedule) -> dict[int, int]:
    """Completion minute of each accepted order."""
    last_end: dict[tuple[int, int], int] = {}
    for op in schedule.ops:
        key = (op.order, op.line)
        last_end[key] = max(last_end.get(key, op.end), op.end)
    out: dict[int, int] = {}
    for order in data.orders:
        if not schedule.accepted[order.index]:
            continue
        ends = [
            last_end[(order.index, line.index)]
            if schedule.sources[(order.index, line.index)] == "production"
            else order.stock_completion
            for line in order.lines
        ]
        out[order.index] = max(ends)
    return out


def changeover_minutes(data: ProblemData, schedule: Schedule) -> int:
    """Changeover time between directly consecutive operations with different setup families."""
    family = {
        (o.index, line.index, op.position): op.family
        for o in data.orders
        for line in o.lines
        for op in line.ops
    }
    by_machine: dict[str, list[ScheduledOp]] = defaultdict(list)
    for op in schedule.ops:
        by_machine[op.machine].append(op)
    total = 0
    for machine, ops in by_machine.items():
        ops.sort(key=lambda x: (x.start, x.end))
        for a, b in pairwise(ops):
            fa, fb = family[(a.order, a.line, a.position)], family[(b.order, b.line, b.position)]
            if fa is not None and fb is not None and fa != fb:
                total += data.machines[machine].changeover
    return total


def terms(data: ProblemData, schedule: Schedule) -> Terms:
    """Every objective term of a schedule, exactly."""
    w = data.weights
    done = completions(data, schedule)
    tardiness = sum(
        (o.tier_weight * max(0, done[o.index] - o.due) for o in data.orders if o.index in done),
        Fraction(0),
    )
    rejected = sum((o.value for o in data.orders if not schedule.accepted[o.index]), Fraction(0))
    last = max((op.end for op in schedule.ops), default=0)
    return Terms(
        tardiness=w.tardiness * tardiness / 60,
        rejection=w.rejection * rejected,
        makespan=w.makespan * Fraction(last, 60) if schedule.ops else Fraction(0),
        changeover=w.changeover * Fraction(changeover_minutes(data, schedule), 60),
        stability=w.stability * stability_hours(data, schedule),
    )


def stability_hours(data: ProblemData, schedule: Schedule) -> Fraction:
    """Hours baseline operations moved, plus one per operation that changed machine."""
    total = Fraction(0)
    for op in schedule.ops:
        ref = data.baseline.get((op.order, op.line, op.position))
        if ref is not None:
            total += Fraction(abs(op.start - ref.start), 60) + (op.machine != ref.machine)
    return total


def make_plan(
    data: ProblemData,
    schedule: Schedule,
    status: Status,
    *,
    bound: float | None = None,
    seconds: float = 0.0,
    method: str | None = None,
) -> Plan:
    """The plan of a schedule, in the format of ``scenario-format.md``."""
    grid = data.grid
    scenario = data.scenario
    done = completions(data, schedule)
    ranked = sorted(done, key=lambda o: (done[o], data.orders[o].due, o))
    priority = {o: rank for rank, o in enumerate(ranked, start=1)}
    orders: list[PlanOrder] = []
    for order in data.orders:
        source = scenario.orders[order.index]
        customer = scenario.customer_by_id[source.customer]
        base = {"id": order.id, "customer": customer.id, "tier": customer.tier, "due": source.due}
        if not schedule.accepted[order.index]:
            orders.append(PlanOrder(accepted=False, **base))
            continue
        completion = done[order.index]
        orders.append(
            PlanOrder(
                accepted=True,
                priority=priority[order.index],
                completion=grid.instant(completion),
                tardiness_minutes=max(0, completion - order.due),
                lines=[
                    PlanLine(
                        product=line.product,
                        quantity=line.quantity,
                        source=schedule.sources[(order.index, line.index)],
                    )
                    for line in order.lines
                ],
                **base,
            )
        )
    assignments = [
        Assignment(
            order=data.orders[op.order].id,
            line=op.line,
            operation=data.orders[op.order].lines[op.line].ops[op.position].name,
            machine=op.machine,
            staff=list(op.staff),
            start=grid.instant(op.start),
            end=grid.instant(op.end),
        )
        for op in sorted(schedule.ops, key=lambda x: (x.start, x.machine, x.order, x.line))
    ]
    objective = terms(data, schedule).objective()
    if bound is not None:
        bound = min(bound, objective.total)
    return Plan(
        scenario=scenario.name,
        status=status,
        objective=objective,
        bound=bound,
        solve_seconds=round(seconds, 3),
        orders=orders,
        assignments=assignments,
        method=method,
        warnings=list(data.warnings),
    )


def compact(data: ProblemData, schedule: Schedule) -> Schedule:
    """Move every operation as early as its predecessors, crew, calendars and materials allow.

    Machine and staff sequences are kept, so changeovers and the order of work
    do not change, no operation moves later, and none moves further from its
    baseline start: no objective term can grow.
    Operations are visited by start time, so each sees its predecessors
    already settled.
    """
    from engine.timegrid import Intervals

    def starts_for(op: ScheduledOp) -> Intervals:
        line = data.orders[op.order].lines[op.line]
        mode = next(m for m in line.ops[op.position].modes if m.machine == op.machine)
        windows = mode.starts
        for person in op.staff:
            own = mode.staff_starts.get(person)
            if own is not None:
                windows = intersect_starts(windows, own)
        return windows

    placed = sorted(schedule.ops, key=lambda x: (x.start, x.end))
    family = {
        (o.index, line.index, op.position): op.family
        for o in data.orders
        for line in o.lines
        for op in line.ops
    }
    machine_last: dict[str, tuple[int, str | None]] = {}
    person_last: dict[str, int] = {}
    line_end: dict[tuple[int, int], int] = {}
    consumed: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for op in placed:
        line = data.orders[op.order].lines[op.line]
        if op.position == 0:
            for material_id, need in line.materials.items():
                consumed[material_id].append((op.start, need))
    out: list[ScheduledOp] = []
    for op in placed:
        fam = family[(op.order, op.line, op.position)]
        lower = max(data.orders[op.order].release, line_end.get((op.order, op.line), 0))
        if op.machine in machine_last:
            prev_end, prev_fam = machine_last[op.machine]
            gap = data.machines[op.machine].changeover
            same = prev_fam is None or fam is None or prev_fam == fam
            lower = max(lower, prev_end + (0 if same else gap))
        for person in op.staff:
            lower = max(lower, person_last.get(person, 0))
        ref = data.baseline.get((op.order, op.line, op.position))
        if ref is not None and data.weights.stability:
            # Earlier than where the published plan had it would cost stability.
            lower = max(lower, min(op.start, ref.start))
        start = op.start
        windows = starts_for(op)
        line = data.orders[op.order].lines[op.line]
        candidate = first_start(windows, lower)
        while candidate is not None and candidate < op.start:
            if op.position != 0 or _materials_allow(
                data, consumed, line.materials, op.start, candidate
            ):
                start = candidate
                break
            candidate = first_start(windows, candidate + 1)
        if start != op.start and op.position == 0:
            for material_id, need in line.materials.items():
                consumed[material_id].remove((op.start, need))
                consumed[material_id].append((start, need))
        end = start + (op.end - op.start)
        moved = ScheduledOp(op.order, op.line, op.position, op.machine, op.staff, start, end)
        out.append(moved)
        machine_last[op.machine] = (end, fam)
        for person in op.staff:
            person_last[person] = end
        line_end[(op.order, op.line)] = end
    return Schedule(schedule.accepted, schedule.sources, out)


def _materials_allow(
    data: ProblemData,
    consumed: dict[str, list[tuple[int, int]]],
    needs: dict[str, int],
    old: int,
    new: int,
) -> bool:
    """Whether taking ``needs`` at ``new`` instead of ``old`` keeps every material non-negative."""
    for material_id, need in needs.items():
        material = data.materials.get(material_id)
        if material is None:
            continue
        events: dict[int, int] = defaultdict(int)
        events[0] += material.on_hand
        for at, q in material.receipts:
            events[max(at, 0)] += q
        for at, q in consumed[material_id]:
            events[at] -= q
        events[old] += need
        events[new] -= need
        level = 0
        for at in sorted(events):
            level += events[at]
            if level < 0:
                return False
    return True


def lower_bound(data: ProblemData) -> Fraction:
    """A bound no plan can beat, from each order alone on an empty plant.

    Each order completes no earlier than its lines' earliest possible ends
    (calendars, release and routing, without other orders); an optional order
    costs at least the lesser of that lateness and its rejection. Frozen work
    and the makespan of lines that must be produced add their own floors.
    """
    w = data.weights
    total = Fraction(0)
    last = 0
    for order in data.orders:
        ends: list[int] = []
        for line in order.lines:
            produced = _earliest_end(line) if line.producible else None
            options = [e for e in (produced,) if e is not None]
            if line.stockable:
                options.append(order.stock_completion)
            if not options:
                ends.append(data.horizon)
                continue
            ends.append(min(options))
            if not line.stockable and produced is not None and order.firm:
                last = max(last, produced)
        late = w.tardiness * order.tier_weight * Fraction(max(0, max(ends) - order.due), 60)
        total += min(late, w.rejection * order.value) if not order.firm else late
    return total + w.makespan * Fraction(last, 60)


def _earliest_end(line: LineData) -> int | None:
    """Earliest end of a line's last operation, from its start windows alone."""
    t = -(10**9)
    for op in line.ops:
        best: int | None = None
        for mode in op.modes:
            for a, b in mode.starts:
                if b >= t:
                    end = max(a, t) + mode.duration
                    best = end if best is None else min(best, end)
                    break
        if best is None:
            return None
        t = best
    return t
