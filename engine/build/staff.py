"""Staff: ``crew`` distinct people with the skill for the whole operation, one job at a time.

People who share a calendar and a set of skills are interchangeable, so the
model does not pick names: it picks how many people of each such group work
on an operation, and each group is a cumulative resource with its head count
as capacity. Names are given afterwards by :func:`name_crews`, which always
succeeds: a group's load never exceeds its size, and on intervals a greedy
assignment by start time needs no more people than the peak load.

A group whose calendar is narrower than the machine's restricts the start
only when that group and that machine are both used.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from engine.build.variables import StaffVar, Variables
from engine.problem import ProblemData


@dataclass(frozen=True)
class StaffGroup:
    """Interchangeable people: one calendar, one set of skills."""

    index: int
    people: tuple[str, ...]


def staff_groups(data: ProblemData) -> tuple[list[StaffGroup], dict[str, int]]:
    """Groups of interchangeable people, and each person's group index."""
    # People on frozen work keep their names, so each is a group of one.
    named = {p for line in data.lines for op in line.ops for p in op.fixed_staff or ()}
    keys: dict[tuple[str, frozenset[str], str], list[str]] = {}
    for person in data.scenario.staff:
        alone = person.id if person.id in named else ""
        keys.setdefault((person.calendar, frozenset(person.skills), alone), []).append(person.id)
    groups = [StaffGroup(i, tuple(people)) for i, people in enumerate(keys.values())]
    member = {p: g.index for g in groups for p in g.people}
    return groups, member


def add_staff(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Crew sizes per group, group calendars and one cumulative per group."""
    groups, member = staff_groups(data)
    load: dict[int, list[tuple[cp_model.IntervalVar, cp_model.LinearExprT]]] = defaultdict(list)
    for op in v.ops:
        if op.data.crew == 0:
            continue
        name = op.start.name.removeprefix("start_")
        if op.data.fixed_staff is not None:
            for g in sorted({member[p] for p in op.data.fixed_staff}):
                interval = model.new_interval_var(
                    op.start, op.duration, op.end, f"work_{name}_g{g}"
                )
                op.staff.append(StaffVar(g, groups[g].people, 1, v.true, interval))
                load[g].append((interval, 1))
            continue
        eligible = sorted({member[p] for p in op.data.candidates})
        for g in eligible:
            group = groups[g]
            size = min(op.data.crew, len(group.people))
            if len(eligible) == 1:
                count: cp_model.LinearExprT = op.data.crew * op.present
                used = op.present
            else:
                count = model.new_int_var(0, size, f"crew_{name}_g{g}")
                used = model.new_bool_var(f"uses_{name}_g{g}")
                model.add(count >= 1).only_enforce_if(used)
                model.add(count == 0).only_enforce_if(used.Not())
            interval = model.new_optional_interval_var(
                op.start, op.duration, op.end, used, f"work_{name}_g{g}"
            )
            op.staff.append(StaffVar(g, group.people, count, used, interval))
            load[g].append((interval, count))
            representative = group.people[0]
            for mode, mode_data in zip(op.modes, op.data.modes, strict=True):
                if not mode.starts or representative not in mode_data.staff_starts:
                    continue
                own = mode_data.staff_starts[representative]
                if not own:
                    model.add_bool_or([used.Not(), mode.chosen.Not()])
                    continue
                domain = cp_model.Domain.from_intervals([[a, b] for a, b in own])
                model.add_linear_expression_in_domain(op.start, domain).only_enforce_if(
                    [used, mode.chosen]
                )
        if len(eligible) > 1:
            model.add(sum(s.count for s in op.staff) == op.data.crew * op.present)
    for g, items in load.items():
        size = len(groups[g].people)
        if len(items) < 2:
            continue
        if size == 1:
            model.add_no_overlap([interval for interval, _ in items])
        else:
            model.add_cumulative([interval for interval, _ in items], [c for _, c in items], size)


def name_crews(
    work: Sequence[tuple[Hashable, int, int, dict[tuple[str, ...], int]]],
) -> dict[Hashable, tuple[str, ...]]:
    """Give names to crews counted per group.

    Parameters
    ----------
    work
        ``(key, start, end, {group people: head count})`` per operation.

    Returns
    -------
    dict
        The people on each operation, by key.
    """
    free_at: dict[str, int] = {}
    names: dict[Hashable, list[str]] = defaultdict(list)
    for key, start, end, counts in sorted(work, key=lambda w: (w[1], w[2])):
        for people, count in counts.items():
            ready = [p for p in people if free_at.get(p, start) <= start]
            if len(ready) < count:
                raise RuntimeError(f"crew naming failed at minute {start}: group over capacity")
            # The person free longest first keeps the assignment stable and spreads work.
            ready.sort(key=lambda p: (free_at.get(p, -1), people.index(p)))
            for person in ready[:count]:
                free_at[person] = end
                names[key].append(person)
    return {key: tuple(sorted(people)) for key, people in names.items()}
