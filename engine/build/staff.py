"""Staff: ``crew`` distinct people with the skill for the whole operation, one job at a time.

A person whose calendar is narrower than the machine's restricts the start
only when both that person and that machine are chosen.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from engine.build.variables import StaffVar, Variables
from engine.problem import ProblemData


def add_staff(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Crew assignment, staff calendars and per-person no-overlap."""
    by_person: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    for op in v.ops:
        if op.data.crew == 0:
            continue
        name = op.start.name.removeprefix("start_")
        for person in op.data.candidates:
            assigned = model.new_bool_var(f"crew_{name}_{person}")
            interval = model.new_optional_interval_var(
                op.start, op.duration, op.end, assigned, f"work_{name}_{person}"
            )
            op.staff.append(StaffVar(person, assigned, interval))
            by_person[person].append(interval)
            for mode, mode_data in zip(op.modes, op.data.modes, strict=True):
                if not mode.starts or person not in mode_data.staff_starts:
                    continue
                own = mode_data.staff_starts[person]
                if not own:
                    model.add_bool_or([assigned.Not(), mode.chosen.Not()])
                    continue
                domain = cp_model.Domain.from_intervals([[a, b] for a, b in own])
                model.add_linear_expression_in_domain(op.start, domain).only_enforce_if(
                    [assigned, mode.chosen]
                )
        model.add(sum(s.assigned for s in op.staff) == op.data.crew * op.present)
    for intervals in by_person.values():
        if len(intervals) > 1:
            model.add_no_overlap(intervals)
