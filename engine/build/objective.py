"""The objective: weighted tardiness, rejection, makespan and changeover terms.

Terms are built only when their weight is positive. Weights are exact
fractions; the model's integer objective is their sum times one common
scale, so the optimum found is the optimum of the policy's formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from engine.build.changeovers import Sequence
from engine.build.variables import Variables
from engine.problem import ProblemData

MAX_SCALE = 10**9
"""Beyond this common denominator, coefficients are rounded (the reported terms stay exact)."""


@dataclass
class Objective:
    """Objective terms as ``(coefficient, variable)`` pairs and the scale making them integer."""

    terms: dict[str, list[tuple[Fraction, cp_model.LinearExprT]]] = field(default_factory=dict)
    constant: dict[str, Fraction] = field(default_factory=dict)
    scale: int = 1
    makespan: cp_model.IntVar | None = None
    moves: list[tuple[tuple[int, int, int], cp_model.IntVar]] = field(default_factory=list)
    """Minutes each baseline operation moved, for hints."""

    def add(self, term: str, coefficient: Fraction, expr: cp_model.LinearExprT) -> None:
        """Add ``coefficient * expr`` to ``term`` (zero coefficients are dropped)."""
        if coefficient:
            self.terms.setdefault(term, []).append((coefficient, expr))


def add_objective(
    model: cp_model.CpModel, data: ProblemData, v: Variables, sequences: list[Sequence]
) -> Objective:
    """Build every term with a positive weight and minimise their scaled sum."""
    w = data.weights
    obj = Objective()
    per_minute = Fraction(1, 60)
    if w.tardiness:
        for order, ov in zip(data.orders, v.orders, strict=True):
            coefficient = w.tardiness * order.tier_weight * per_minute
            if not coefficient:
                continue
            for line in ov.lines:
                if line.ops:
                    model.add(ov.tardiness >= line.ops[-1].end - order.due).only_enforce_if(
                        line.produce
                    )
                if line.from_stock is not None and order.stock_completion > order.due:
                    model.add(ov.tardiness >= order.stock_completion - order.due).only_enforce_if(
                        line.from_stock
                    )
            obj.add("tardiness", coefficient, ov.tardiness)
    if w.rejection:
        for order, ov in zip(data.orders, v.orders, strict=True):
            if not order.firm and order.value:
                # value * (1 - accepted): the constant part is kept apart from the model.
                obj.add("rejection", -w.rejection * order.value, ov.accepted)
                obj.constant["rejection"] = (
                    obj.constant.get("rejection", Fraction(0)) + w.rejection * order.value
                )
    if w.makespan:
        lasts = [line for line in v.lines if line.ops]
        if lasts:
            makespan = model.new_int_var(0, data.horizon, "makespan")
            for line in lasts:
                model.add(makespan >= line.ops[-1].end).only_enforce_if(line.produce)
            obj.makespan = makespan
            obj.add("makespan", w.makespan * per_minute, makespan)
    if w.changeover:
        for seq in sequences:
            for minutes, lit in seq.changes:
                obj.add("changeover", w.changeover * minutes * per_minute, lit)
    if w.stability and data.baseline:
        by_key = {(op.data.order, op.data.line, op.data.position): op for op in v.ops}
        for key, ref in data.baseline.items():
            op = by_key.get(key)
            if op is None or op.data.pinned:
                continue
            name = op.start.name.removeprefix("start_")
            moved = model.new_int_var(0, data.horizon + abs(ref.start), f"moved_{name}")
            model.add(moved >= op.start - ref.start).only_enforce_if(op.present)
            model.add(moved >= ref.start - op.start).only_enforce_if(op.present)
            obj.add("stability", w.stability * per_minute, moved)
            stays = [m.chosen for m in op.modes if m.machine == ref.machine]
            # One hour-equivalent per machine change: present and not on the baseline machine.
            obj.add("stability", w.stability, op.present)
            if stays:
                obj.add("stability", -w.stability, stays[0])
            obj.moves.append((key, moved))
    coefficients = [c for pairs in obj.terms.values() for c, _ in pairs]
    coefficients += list(obj.constant.values())
    scale = 1
    for c in coefficients:
        scale = math.lcm(scale, c.denominator)
        if scale > MAX_SCALE:
            scale = MAX_SCALE
            break
    obj.scale = scale
    if not obj.terms:
        return obj
    expr = sum(round(c * scale) * e for pairs in obj.terms.values() for c, e in pairs)
    model.minimize(expr + round(constant_total(obj) * scale))
    return obj


def constant_total(obj: Objective) -> Fraction:
    """The constant part of the objective (rejection of every optional order's value)."""
    return sum(obj.constant.values(), Fraction(0))
