"""Finished-goods stock: lines served from stock never take more than is on hand."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from engine.build.variables import Variables
from engine.problem import ProblemData


def add_stock(model: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """One capacity constraint per product that has stock and more than one candidate line."""
    by_product: dict[str, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for line in v.lines:
        if line.from_stock is not None:
            by_product[line.data.product].append((line.data.quantity, line.from_stock))
    for product, uses in by_product.items():
        if sum(q for q, _ in uses) > data.stock.get(product, 0):
            model.add(sum(q * lit for q, lit in uses) <= data.stock.get(product, 0))
