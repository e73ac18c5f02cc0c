"""Routing precedence: each operation of a line starts after the previous one ends."""

from __future__ import annotations

from ortools.sat.python import cp_model

from engine.build.variables import Variables
from engine.problem import ProblemData


def add_routing(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """``end[k] <= start[k + 1]`` along every production line's routing."""
    for line in v.lines:
        for before, after in zip(line.ops, line.ops[1:], strict=False):
            model.add(before.end <= after.start).only_enforce_if(line.produce)
