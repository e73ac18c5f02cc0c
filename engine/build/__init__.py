"""CP-SAT model construction, one module per constraint family.

:func:`build_model` applies the families in one fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from engine.build.acceptance import add_acceptance
from engine.build.changeovers import Sequence, add_changeovers
from engine.build.machines import add_machines
from engine.build.materials import add_materials
from engine.build.objective import Objective, add_objective
from engine.build.routing import add_routing
from engine.build.staff import add_staff
from engine.build.stock import add_stock
from engine.build.variables import Variables, create_variables
from engine.problem import ProblemData


@dataclass
class BuiltModel:
    """A CP-SAT model with typed handles to its variables, sequences and objective."""

    model: cp_model.CpModel
    data: ProblemData
    vars: Variables
    sequences: list[Sequence]
    objective: Objective


def build_model(data: ProblemData, skip: frozenset[str] = frozenset()) -> BuiltModel:
    """Build the CP-SAT model of a problem.

    Calendars, release and horizon are already in the variables' domains.
    Staff intervals reuse each operation's duration variable, so machines
    (which define it) come before staff; the objective comes last because it
    counts the changeover arcs that the sequences create. ``skip`` leaves out
    the families ``staff``, ``changeovers`` or ``materials`` (for diagnosis).
    """
    model = cp_model.CpModel()
    v = create_variables(model, data)
    add_acceptance(model, data, v)
    add_stock(model, data, v)
    add_machines(model, data, v)
    add_routing(model, data, v)
    if "staff" not in skip:
        add_staff(model, data, v)
    sequences = [] if "changeovers" in skip else add_changeovers(model, data, v)
    if "materials" not in skip:
        add_materials(model, data, v)
    objective = add_objective(model, data, v, sequences)
    return BuiltModel(model, data, v, sequences, objective)


def estimate_variables(data: ProblemData) -> int:
    """About how many variables :func:`build_model` would create, without building it.

    Operations cost a few variables each plus one per eligible machine and
    candidate person; a changeover circuit costs one per pair of candidates.
    """
    count = 0
    per_machine: dict[str, list[str | None]] = {}
    for line in data.lines:
        count += 3
        for op in line.ops:
            count += 4 + len(op.modes) + len(op.candidates)
            for mode in op.modes:
                if mode.starts:
                    per_machine.setdefault(mode.machine, []).append(op.family)
    for machine, families in per_machine.items():
        distinct = {f for f in families if f is not None}
        if data.machines[machine].changeover and len(distinct) > 1:
            count += len(families) ** 2
    return count
