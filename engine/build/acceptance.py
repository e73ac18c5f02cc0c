"""Acceptance: every line of an accepted order is served, wholly from stock or wholly by production.

Firm orders are always accepted (fixed in :mod:`engine.build.variables`);
optional ones may be rejected, and then none of their lines is served.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from engine.build.variables import Variables
from engine.problem import ProblemData


def add_acceptance(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Tie each line's source to its order's acceptance."""
    for order in v.orders:
        for line in order.lines:
            served = [line.produce] + ([line.from_stock] if line.from_stock is not None else [])
            model.add(sum(served) == order.accepted)
            if not line.data.producible:
                model.add(line.produce == 0)
