"""Materials: a reservoir over time per material.

On-hand stock is available from the horizon start, each receipt from its
instant; a produced line takes its whole need when its first operation
starts. A material whose total supply covers every possible use is never
binding and gets no constraint.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from engine.build.variables import Variables
from engine.problem import ProblemData


def add_materials(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """One reservoir constraint per material that can run short."""
    for material in data.materials.values():
        uses: list[tuple[cp_model.LinearExprT, int, cp_model.LiteralT]] = [
            (line.ops[0].start, line.data.materials[material.id], line.produce)
            for line in v.lines
            if line.data.materials.get(material.id) and line.ops
        ]
        if not uses:
            continue
        uses += [(at, q, v.true) for at, q in data.fixed_uses.get(material.id, [])]
        demand = sum(q for _, q, _ in uses)
        if demand <= material.on_hand:
            continue
        times: list[cp_model.LinearExprT] = [0]
        changes: list[int] = [material.on_hand]
        actives: list[cp_model.LiteralT] = [v.true]
        for at, quantity in material.receipts:
            times.append(max(at, 0))
            changes.append(quantity)
            actives.append(v.true)
        for start, quantity, produce in uses:
            times.append(start)
            changes.append(-quantity)
            actives.append(produce)
        model.add_reservoir_constraint_with_active(times, changes, actives, 0, material.total)
