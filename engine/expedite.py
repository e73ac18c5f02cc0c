"""Expedite preview: what it costs everyone else to bring one order forward.

Marketing asks for an order by a date; the engine replans from the published
plan (frozen zone kept, stability counted) with that order due then and
weighted above every tier, and shows: can the date be met, and if not the
earliest date that can; the new plan; every other order's completion and
tardiness before and after; every objective term before and after.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from engine.model import Baseline, BaselineAssignment, Objective, Plan, Scenario
from engine.problem import Weights, build_problem
from engine.solve.params import SolveParams
from engine.solve.solver import ProgressCallback, solve, solve_problem


class ExpediteError(ValueError):
    """An expedite that cannot be previewed: unknown order, order already done, bad date."""


class OrderImpact(BaseModel):
    """One order's completion and tardiness in the published plan and in the preview."""

    model_config = ConfigDict(frozen=True)

    id: str
    accepted_before: bool
    accepted_after: bool
    completion_before: datetime | None
    completion_after: datetime | None
    tardiness_minutes_before: int
    tardiness_minutes_after: int
    delay_minutes: int
    """How much later it completes than published (negative: earlier)."""
    slips: bool
    """Completes later than published, or is no longer served."""


class ExpeditePreview(BaseModel):
    """The answer to an expedite request, for everyone to see before anyone approves."""

    model_config = ConfigDict(frozen=True)

    order: str
    requested_due: datetime
    can_meet: bool
    completion: datetime | None
    earliest_completion: datetime | None
    """The earliest completion the plant can give the order (set when the date cannot be met)."""
    objective_before: Objective
    objective_after: Objective
    orders: list[OrderImpact]
    """Every other order, those that slip first."""
    plan: Plan


def expedite_scenario(scenario: Scenario, baseline: Plan, order_id: str, due: datetime) -> Scenario:
    """The scenario to replan: the published plan as baseline, the order firm, due and expedited."""
    if order_id not in scenario.order_by_id:
        raise ExpediteError(f"order {order_id!r} does not exist in scenario {scenario.name!r}")
    if due.tzinfo is None:
        raise ExpediteError("the requested due date needs a UTC offset")
    published = next((o for o in baseline.orders if o.id == order_id), None)
    freeze = scenario.policy.freeze_until
    if (
        published is not None
        and published.accepted
        and published.completion is not None
        and freeze is not None
        and published.completion <= freeze
    ):
        raise ExpediteError(
            f"order {order_id} is already done: it completed at "
            f"{published.completion.isoformat()} in the published plan, before the frozen "
            f"zone ends at {freeze.isoformat()}"
        )
    orders = [
        o.model_copy(update={"due": due, "expedited": True, "firm": True})
        if o.id == order_id
        else o
        for o in scenario.orders
    ]
    return with_changes(scenario, orders=orders, baseline=baseline_of(baseline))


def with_changes(scenario: Scenario, **changes: object) -> Scenario:
    """A new, validated scenario with some top-level fields replaced.

    Re-validating (rather than copying) keeps the scenario's lookup tables and
    cross-reference checks true to the new content.
    """
    data = scenario.model_dump(by_alias=True)
    for key, value in changes.items():
        data[key] = (
            [v.model_dump(by_alias=True) if isinstance(v, BaseModel) else v for v in value]
            if isinstance(value, list)
            else value.model_dump(by_alias=True)
            if isinstance(value, BaseModel)
            else value
        )
    return Scenario.model_validate(data)


def baseline_of(plan: Plan) -> Baseline:
    """A published plan as the baseline of a scenario that replans from it."""
    return Baseline(
        assignments=[
            BaselineAssignment(
                order=a.order,
                line=a.line,
                operation=a.operation,
                machine=a.machine,
                staff=list(a.staff),
                start=a.start,
                end=a.end,
            )
            for a in plan.assignments
        ]
    )


def preview(
    scenario: Scenario,
    baseline: Plan,
    order_id: str,
    due: datetime,
    params: SolveParams | None = None,
    on_progress: ProgressCallback | None = None,
) -> ExpeditePreview:
    """Replan with the order expedited and compare every order and term with the published plan.

    Raises
    ------
    ExpediteError
        The order does not exist or is already done.
    """
    params = params or SolveParams()
    started = time.monotonic()
    replanned = expedite_scenario(scenario, baseline, order_id, due)
    # Most of the time goes to the replan; what is left finds the earliest date if needed.
    first = params.model_copy(update={"time_limit": params.time_limit * 0.7})
    result = solve(replanned, first, on_progress)
    if not result.has_plan:
        raise ExpediteError(
            f"no plan serves order {order_id} expedited: " + "; ".join(result.reasons)
        )
    plan = result.plan
    mine = next(o for o in plan.orders if o.id == order_id)
    can_meet = mine.completion is not None and mine.completion <= due
    earliest = mine.completion
    if not can_meet:
        left = params.time_limit - (time.monotonic() - started)
        rest = params.model_copy(update={"time_limit": max(1.0, left)})
        earliest = _earliest_completion(replanned, order_id, rest) or mine.completion
    before = {o.id: o for o in baseline.orders}
    impacts: list[OrderImpact] = []
    for after in plan.orders:
        if after.id == order_id:
            continue
        old = before.get(after.id)
        c_before = old.completion if old is not None and old.accepted else None
        c_after = after.completion if after.accepted else None
        delay = (
            int((c_after - c_before).total_seconds() // 60)
            if c_before is not None and c_after is not None
            else 0
        )
        impacts.append(
            OrderImpact(
                id=after.id,
                accepted_before=bool(old is not None and old.accepted),
                accepted_after=after.accepted,
                completion_before=c_before,
                completion_after=c_after,
                tardiness_minutes_before=(old.tardiness_minutes or 0) if old is not None else 0,
                tardiness_minutes_after=after.tardiness_minutes or 0,
                delay_minutes=delay,
                slips=delay > 0 or (c_before is not None and c_after is None),
            )
        )
    impacts.sort(key=lambda x: (not x.slips, -x.delay_minutes, x.id))
    return ExpeditePreview(
        order=order_id,
        requested_due=due,
        can_meet=can_meet,
        completion=mine.completion,
        earliest_completion=earliest,
        objective_before=baseline.objective,
        objective_after=plan.objective,
        orders=impacts,
        plan=plan,
    )


def _earliest_completion(scenario: Scenario, order_id: str, params: SolveParams) -> datetime | None:
    """The order's earliest possible completion: its own completion is all that counts."""
    data = build_problem(scenario)
    index = scenario.orders.index(scenario.order_by_id[order_id])
    orders = [
        dataclasses.replace(
            o,
            tier_weight=Fraction(1) if o.index == index else Fraction(0),
            due=o.release if o.index == index else o.due,
        )
        for o in data.orders
    ]
    only = Weights(Fraction(1), Fraction(0), Fraction(0), Fraction(0), Fraction(0))
    result = solve_problem(dataclasses.replace(data, orders=orders, weights=only), params)
    if not result.has_plan:
        return None
    return next(o.completion for o in result.plan.orders if o.id == order_id)
