"""Replanning from a published plan: frozen operations and the references of the stability term.

A baseline operation that starts before ``policy.freeze_until`` (so also one
in progress then) keeps its machine, people and start; every other operation
starts at or after ``freeze_until``. A baseline operation that no longer fits
the scenario — its order, line or operation is gone, its machine is no longer
eligible, its length changed, its people lack the skill, or its time is now
closed — is listed in the plan's warnings, not frozen, and what still fits is
kept.
"""

from __future__ import annotations

import dataclasses

from engine.model import BaselineAssignment
from engine.problem import (
    LineData,
    Mode,
    OpData,
    OrderData,
    ProblemData,
    Reference,
    starting_between,
)
from engine.timegrid import fits

Key = tuple[int, int, int]


def _frozen(op: OpData, a: BaselineAssignment, start: int) -> OpData:
    mode = next(m for m in op.modes if m.machine == a.machine)
    return dataclasses.replace(
        op,
        modes=[Mode(mode.machine, mode.duration, [(start, start)], {})],
        pinned=True,
        fixed_staff=tuple(a.staff),
    )


def _cannot_freeze(
    data: ProblemData, order: OrderData, op: OpData, a: BaselineAssignment, start: int, end: int
) -> str | None:
    """Why a baseline operation cannot be kept as it is, or None."""
    scenario = data.scenario
    mode = next((m for m in op.modes if m.machine == a.machine), None)
    if mode is None:
        return f"machine {a.machine} is not (or no longer) eligible for it"
    if end - start != mode.duration:
        return f"it lasted {end - start} min but now takes {mode.duration} min on {a.machine}"
    if start < 0 or end > data.horizon:
        return "it does not lie inside the horizon"
    if start < order.release:
        return "it starts before the order's release"
    if not fits(data.grid.machine_open[a.machine], start, end):
        return f"{a.machine} is no longer working for all of that time"
    if len(set(a.staff)) != len(a.staff) or len(a.staff) != op.crew:
        return f"it needs a crew of {op.crew} distinct people, the baseline has {len(a.staff)}"
    for person in a.staff:
        member = scenario.staff_by_id.get(person)
        if member is None:
            return f"{person} is no longer on the staff"
        if op.skill is not None and op.skill not in member.skills:
            return f"{person} does not hold skill '{op.skill}'"
        if not fits(data.grid.staff_open[person], start, end):
            return f"{person} is no longer working for all of that time"
    return None


def apply_baseline(data: ProblemData) -> ProblemData:
    """Freeze what the baseline holds before ``freeze_until`` and record the rest as references."""
    scenario = data.scenario
    baseline = scenario.baseline
    freeze = (
        data.grid.minute(scenario.policy.freeze_until)
        if scenario.policy.freeze_until is not None
        else None
    )
    if baseline is None and freeze is None:
        return data
    order_index = {o.id: o for o in data.orders}
    warnings: list[str] = []
    references: dict[Key, Reference] = {}
    frozen: dict[Key, tuple[BaselineAssignment, int]] = {}
    seen: set[Key] = set()
    where_of: dict[Key, str] = {}
    for i, a in enumerate(baseline.assignments if baseline is not None else []):
        where = f"baseline.assignments[{i}] ({a.order} line {a.line} {a.operation})"
        order = order_index.get(a.order)
        if order is None:
            warnings.append(f"{where}: order {a.order} is no longer in the scenario")
            continue
        if a.line >= len(order.lines):
            warnings.append(f"{where}: order {a.order} no longer has line {a.line}")
            continue
        line = order.lines[a.line]
        op = next((x for x in line.ops if x.name == a.operation), None)
        if op is None:
            warnings.append(
                f"{where}: operation '{a.operation}' is no longer in the routing of {line.product}"
            )
            continue
        key = (order.index, line.index, op.position)
        if key in seen:
            warnings.append(f"{where}: the operation appears twice in the baseline; kept the first")
            continue
        seen.add(key)
        start, end = data.grid.minute(a.start), data.grid.minute(a.end)
        if freeze is not None and start < freeze:
            problem = _cannot_freeze(data, order, op, a, start, end)
            if problem is None:
                frozen[key] = (a, start)
                where_of[key] = where
                continue
            warnings.append(f"{where}: cannot be kept frozen: {problem}")
        references[key] = Reference(a.machine, start, tuple(a.staff))

    for key, problem in _inconsistent(data, frozen):
        a, start = frozen.pop(key)
        warnings.append(f"{where_of[key]}: cannot be kept frozen: {problem}")
        references[key] = Reference(a.machine, start, tuple(a.staff))

    orders: list[OrderData] = []
    for order in data.orders:
        lines: list[LineData] = []
        holds = False
        for line in order.lines:
            ops: list[OpData] = []
            keeps = False
            for op in line.ops:
                key = (order.index, line.index, op.position)
                if key in frozen:
                    a, start = frozen[key]
                    ops.append(_frozen(op, a, start))
                    keeps = True
                elif freeze is not None:
                    ops.append(starting_between(op, freeze))
                else:
                    ops.append(op)
            # A line with frozen work is being produced: it cannot switch to stock.
            lines.append(dataclasses.replace(line, ops=ops, stockable=line.stockable and not keeps))
            holds = holds or keeps
        orders.append(dataclasses.replace(order, lines=lines, firm=order.firm or holds))
    return dataclasses.replace(
        data, orders=orders, baseline=references, freeze=freeze, warnings=warnings
    )


def _inconsistent(
    data: ProblemData, frozen: dict[Key, tuple[BaselineAssignment, int]]
) -> list[tuple[Key, str]]:
    """Frozen operations that cannot all be kept together, each with the reason.

    An operation stays frozen only if every earlier operation of its line does
    (they must precede it), and only if it does not meet an earlier frozen
    operation on its machine (overlap or too short a changeover) or of one of its
    people. The later of two that meet is released, and so on until what is left
    fits together.
    """
    dropped: list[tuple[Key, str]] = []
    kept = dict(frozen)
    changed = True
    while changed:
        changed = False
        for key in sorted(kept):
            o, line, position = key
            missing = [p for p in range(position) if (o, line, p) not in kept]
            if missing:
                op_name = data.orders[o].lines[line].ops[missing[0]].name
                dropped.append((key, f"the earlier operation '{op_name}' of its line is not kept"))
                del kept[key]
                changed = True
                break
        if changed:
            continue
        last_on: dict[str, tuple[Key, int, str | None]] = {}
        busy_until: dict[str, tuple[Key, int]] = {}
        for key in sorted(kept, key=lambda k: kept[k][1]):
            a, start = kept[key]
            o, line, position = key
            op = data.orders[o].lines[line].ops[position]
            end = start + op.modes[0].duration if op.modes else start
            for mode in op.modes:
                if mode.machine == a.machine:
                    end = start + mode.duration
            problem = None
            if a.machine in last_on:
                _, prev_end, prev_family = last_on[a.machine]
                gap = data.machines[a.machine].changeover
                differ = prev_family is not None and op.family is not None
                differ = differ and prev_family != op.family
                if start < prev_end:
                    problem = f"it overlaps other frozen work on {a.machine}"
                elif differ and start - prev_end < gap:
                    problem = f"{a.machine} needs a {gap} min changeover before it"
            for person in a.staff:
                if problem is None and person in busy_until and start < busy_until[person][1]:
                    problem = f"{person} is on other frozen work then"
            if problem is not None:
                dropped.append((key, problem))
                del kept[key]
                changed = True
                break
            last_on[a.machine] = (key, end, op.family)
            for person in a.staff:
                busy_until[person] = (key, end)
    return dropped
