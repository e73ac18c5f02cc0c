"""Typed containers for the CP-SAT variables, created with domains as tight as calendars allow."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from engine.problem import LineData, OpData, ProblemData


@dataclass
class ModeVar:
    """One eligible machine of an operation: its choice literal and fixed-size interval."""

    machine: str
    duration: int
    chosen: cp_model.IntVar
    interval: cp_model.IntervalVar
    starts: list[tuple[int, int]]


@dataclass
class StaffVar:
    """A group of interchangeable people who may work on an operation: head count, interval."""

    group: int
    people: tuple[str, ...]
    count: cp_model.LinearExprT
    used: cp_model.IntVar
    interval: cp_model.IntervalVar


@dataclass
class OpVar:
    """Variables of one operation of one production line."""

    data: OpData
    start: cp_model.IntVar
    end: cp_model.IntVar
    duration: cp_model.IntVar
    present: cp_model.IntVar
    modes: list[ModeVar]
    staff: list[StaffVar] = field(default_factory=list)


@dataclass
class LineVar:
    """Variables of one order line: served by production or from stock."""

    data: LineData
    produce: cp_model.IntVar
    from_stock: cp_model.IntVar | None
    ops: list[OpVar]


@dataclass
class OrderVar:
    """Variables of one order: acceptance and tardiness in minutes."""

    index: int
    accepted: cp_model.IntVar
    tardiness: cp_model.IntVar
    lines: list[LineVar]


@dataclass
class Variables:
    """All variables of the model, by order."""

    orders: list[OrderVar]
    true: cp_model.IntVar

    @property
    def lines(self) -> list[LineVar]:
        """Every line of every order."""
        return [line for order in self.orders for line in order.lines]

    @property
    def ops(self) -> list[OpVar]:
        """Every operation of every production line."""
        return [op for line in self.lines for op in line.ops]


def _domain(windows: list[tuple[int, int]]) -> cp_model.Domain:
    return cp_model.Domain.from_intervals([[a, b] for a, b in windows])


def create_variables(model: cp_model.CpModel, data: ProblemData) -> Variables:
    """Create every variable, with start domains restricted to feasible calendar windows."""
    true = model.new_bool_var("true")
    model.add(true == 1)
    orders: list[OrderVar] = []
    for order in data.orders:
        o = order.index
        accepted = model.new_bool_var(f"accepted_o{o}")
        if order.firm:
            model.add(accepted == 1)
        max_late = max(0, data.horizon - order.due, order.stock_completion - order.due)
        tardiness = model.new_int_var(0, max_late, f"tardiness_o{o}")
        lines: list[LineVar] = []
        for line in order.lines:
            tag = f"o{o}_l{line.index}"
            produce = model.new_bool_var(f"produce_{tag}")
            from_stock = model.new_bool_var(f"stock_{tag}") if line.stockable else None
            ops = [_op_vars(model, data, op, produce, tag) for op in line.ops]
            lines.append(LineVar(line, produce, from_stock, ops))
        orders.append(OrderVar(o, accepted, tardiness, lines))
    return Variables(orders, true)


def _op_vars(
    model: cp_model.CpModel, data: ProblemData, op: OpData, present: cp_model.IntVar, tag: str
) -> OpVar:
    name = f"{tag}_k{op.position}_{op.name}"
    all_starts = [w for mode in op.modes for w in mode.starts]
    start_domain = _domain(all_starts) if all_starts else cp_model.Domain(0, 0)
    ends = [(a + m.duration, b + m.duration) for m in op.modes for a, b in m.starts]
    end_domain = _domain(ends) if ends else cp_model.Domain(0, 0)
    start = model.new_int_var_from_domain(start_domain, f"start_{name}")
    end = model.new_int_var_from_domain(end_domain, f"end_{name}")
    durations = sorted({m.duration for m in op.modes})
    duration = model.new_int_var_from_domain(
        cp_model.Domain.from_values(durations), f"duration_{name}"
    )
    modes: list[ModeVar] = []
    for mode in op.modes:
        chosen = present if len(op.modes) == 1 else model.new_bool_var(f"on_{name}_{mode.machine}")
        interval = model.new_optional_fixed_size_interval_var(
            start, mode.duration, chosen, f"run_{name}_{mode.machine}"
        )
        modes.append(ModeVar(mode.machine, mode.duration, chosen, interval, mode.starts))
    return OpVar(op, start, end, duration, present, modes)
