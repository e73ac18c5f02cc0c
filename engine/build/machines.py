"""Machines: each present operation runs on exactly one eligible machine, one at a time per machine.

A mode's start domain (its machine's calendar and downtime, the order's
release and the horizon) applies only when that machine is chosen; the
operation's own start domain is the union over its modes.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from engine.build.variables import Variables
from engine.problem import ProblemData


def add_machines(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Mode choice, durations, calendar windows per mode, and machine no-overlap."""
    by_machine: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    for op in v.ops:
        live = [m for m in op.modes if m.starts]
        for mode in op.modes:
            if not mode.starts:
                model.add(mode.chosen == 0)
        if len(op.modes) > 1:
            model.add(sum(m.chosen for m in op.modes) == op.present)
        model.add(op.duration == sum(m.duration * m.chosen for m in op.modes)).only_enforce_if(
            op.present
        )
        # Only a present operation has a length: an absent one may have no window at all.
        model.add(op.end == op.start + op.duration).only_enforce_if(op.present)
        for mode in live:
            if len(live) > 1:
                domain = cp_model.Domain.from_intervals([[a, b] for a, b in mode.starts])
                model.add_linear_expression_in_domain(op.start, domain).only_enforce_if(mode.chosen)
            by_machine[mode.machine].append(mode.interval)
    for intervals in by_machine.values():
        if len(intervals) > 1:
            model.add_no_overlap(intervals)
