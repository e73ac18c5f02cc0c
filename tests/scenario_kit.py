"""Helpers shared by the engine tests: tiny scenarios built in code, solving and checking them.

Every scenario built here runs in UTC from Tuesday 2026-12-01 00:00 to Thursday
2026-12-03 00:00, with every machine and person on the built-in ``always``
calendar unless a test says otherwise, so optima are easy to compute by hand:
minute ``m`` of the plan is ``H0 + m`` minutes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.check import CheckReport, check_plan
from engine.io import scenario_from_data
from engine.model import Assignment, Plan, Scenario, Status
from engine.solve import Result, SolveParams, solve

Data = dict[str, Any]

H0 = datetime(2026, 12, 1, tzinfo=UTC)
"""Horizon start of every built scenario: Tuesday 2026-12-01 00:00 UTC (minute 0)."""

HORIZON_MINUTES = 2 * 1440
"""Horizon length of every built scenario: two days."""


def at(minute: int) -> str:
    """The ISO instant ``minute`` minutes after :data:`H0`."""
    return (H0 + timedelta(minutes=minute)).isoformat()


def minute(instant: datetime) -> int:
    """Whole minutes from :data:`H0` to ``instant``."""
    return int((instant - H0).total_seconds()) // 60


def operation(op_id: str, machines: dict[str, int], **extra: Any) -> Data:
    """A routing operation: minutes per unit on each eligible machine, plus optional fields."""
    return {"id": op_id, "machines": machines, **extra}


def product(product_id: str, *ops: Data, materials: dict[str, int] | None = None) -> Data:
    """A product with its routing (and bill of materials)."""
    out: Data = {"id": product_id, "routing": list(ops)}
    if materials:
        out["materials"] = materials
    return out


def order(
    order_id: str,
    product_id: str,
    quantity: int = 1,
    *,
    due: int,
    customer: str = "c",
    **extra: Any,
) -> Data:
    """A one-line order due at minute ``due``; ``release`` may be given as a minute too."""
    out: Data = {
        "id": order_id,
        "customer": customer,
        "lines": [{"product": product_id, "quantity": quantity}],
        "due": at(due),
    }
    if isinstance(extra.get("release"), int):
        extra["release"] = at(extra["release"])
    return {**out, **extra}


def base_scenario(**overrides: Any) -> Data:
    """A minimal valid scenario dict: one machine ``m1``, one product ``p`` (60 min on ``m1``).

    Keys given in ``overrides`` replace the base's top-level keys; weights
    given as ``weights={...}`` are laid over the default policy weights
    (tardiness 1 per hour, rejection 1, makespan 0, changeover 0).
    """
    data: Data = {
        "version": 1,
        "name": "behaviour",
        "timezone": "UTC",
        "horizon": {"start": at(0), "end": at(HORIZON_MINUTES)},
        "calendars": {"always": {"weekly": "all"}},
        "machines": [{"id": "m1"}],
        "staff": [],
        "products": [product("p", operation("run", {"m1": 60}))],
        "customers": [{"id": "c"}],
        "orders": [],
        "policy": {
            "tier_weights": {"standard": 1},
            "weights": {"tardiness": 1.0, "rejection": 1.0, "makespan": 0.0, "changeover": 0.0},
        },
    }
    weights = overrides.pop("weights", None)
    data.update(copy.deepcopy(overrides))
    if weights:
        data["policy"]["weights"].update(weights)
    return data


def fall_back_scenario() -> Data:
    """Two 30-min orders in New York's repeated hour 01:00-02:00 of Sunday 2026-11-01.

    A runs [05:10, 05:40) UTC (01:10-01:40 EDT), B [06:00, 06:30) UTC (01:00-01:30 EST):
    no overlap, nothing late, though B's wall-clock times come before A's.
    """
    one_line = {"customer": "c", "lines": [{"product": "p", "quantity": 1}]}
    return {
        "version": 1,
        "name": "fall back",
        "timezone": "America/New_York",
        "horizon": {"start": "2026-11-01T05:00:00+00:00", "end": "2026-11-02T05:00:00+00:00"},
        "machines": [{"id": "m1"}],
        "products": [product("p", operation("run", {"m1": 30}))],
        "customers": [{"id": "c"}],
        "orders": [
            {
                "id": "A",
                **one_line,
                "release": "2026-11-01T05:10:00+00:00",
                "due": "2026-11-01T05:40:00+00:00",
            },
            {
                "id": "B",
                **one_line,
                "release": "2026-11-01T06:00:00+00:00",
                "due": "2026-11-01T06:30:00+00:00",
            },
        ],
    }


def solve_data(
    data: Data,
    *,
    method: str = "cp",
    workers: int = 1,
    time_limit: float = 10,
    seed: int = 0,
) -> tuple[Scenario, Result]:
    """Validate and solve a scenario dict."""
    scenario = scenario_from_data(data)
    params = SolveParams(time_limit=time_limit, workers=workers, seed=seed, method=method)
    return scenario, solve(scenario, params)


def assert_checked(scenario: Scenario, plan: Plan) -> CheckReport:
    """Assert that the plan passes the checker and reports the checker's objective."""
    report = check_plan(scenario, plan)
    assert report.ok, "\n".join(str(v) for v in report.violations)
    for term, value in report.objective.items():
        assert getattr(plan.objective, term) == pytest.approx(value, abs=1e-9), term
    return report


def solve_optimal(data: Data, *, workers: int = 1, time_limit: float = 10) -> Plan:
    """Solve, assert a proven optimum whose plan passes the checker, and return the plan."""
    scenario, result = solve_data(data, workers=workers, time_limit=time_limit)
    assert result.status == Status.OPTIMAL, result.plan.reasons
    assert result.plan.status == Status.OPTIMAL
    assert_checked(scenario, result.plan)
    return result.plan


def objective_terms(plan: Plan) -> dict[str, float]:
    """The plan's objective as a plain dict of terms."""
    return plan.objective.model_dump()


def expect_objective(plan: Plan, **terms: float) -> None:
    """Assert the exact objective: terms not named are zero; ``total`` defaults to their sum."""
    expected = {
        "tardiness": 0.0,
        "rejection": 0.0,
        "makespan": 0.0,
        "changeover": 0.0,
        "stability": 0.0,
        **terms,
    }
    expected.setdefault("total", sum(v for k, v in expected.items() if k != "total"))
    assert objective_terms(plan) == pytest.approx(expected, abs=1e-9)


def by_order(plan: Plan) -> dict[str, list[Assignment]]:
    """Assignments per order, in start order."""
    out: dict[str, list[Assignment]] = {}
    for a in sorted(plan.assignments, key=lambda a: a.start):
        out.setdefault(a.order, []).append(a)
    return out


def spans(assignments: Iterable[Assignment]) -> list[tuple[int, int]]:
    """``(start, end)`` minutes of assignments, sorted."""
    return sorted((minute(a.start), minute(a.end)) for a in assignments)
