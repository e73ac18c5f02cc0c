"""Replanning benchmark: expedite preview time and plan churn on a generated plant.

Generates a plant scenario, solves it to get a published plan, then (1) previews
an expedite of an order due after the frozen zone and (2) replans after adding
ten orders, counting how many operations starting after the freeze moved
(another start or another machine). Every plan is checked independently. Run::

    python -m benchmarks.replan_bench --orders 500 --seed 1 --publish-time 60 --time-limit 15
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta

from benchmarks.generate import generate
from engine.check import check_plan
from engine.expedite import baseline_of, preview, with_changes
from engine.io import scenario_from_data
from engine.model import Plan, Scenario
from engine.solve import SolveParams, solve


def moved_share(before: Plan, after: Plan, freeze: object) -> tuple[int, int]:
    """Operations of the published plan starting after the freeze that moved, and how many."""
    new = {(a.order, a.line, a.operation): a for a in after.assignments}
    counted = moved = 0
    for a in before.assignments:
        if a.start < freeze:  # type: ignore[operator]
            continue
        counted += 1
        b = new.get((a.order, a.line, a.operation))
        if b is None or b.start != a.start or b.machine != a.machine:
            moved += 1
    return moved, counted


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--publish-time", type=float, default=60.0)
    parser.add_argument("--time-limit", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--freeze-days", type=float, default=3.0)
    args = parser.parse_args(argv)

    scenario = scenario_from_data(generate(args.orders, args.seed))
    params = SolveParams(time_limit=args.publish_time, workers=args.workers, seed=0)
    published = solve(scenario, params).plan
    freeze = scenario.horizon.start + timedelta(days=args.freeze_days)
    policy = scenario.policy.model_copy(update={"freeze_until": freeze})
    frozen_zone = with_changes(scenario, policy=policy)
    print(f"published: objective {published.objective.total:.2f}, {len(published.assignments)} ops")

    candidates = [
        o for o in published.orders if o.accepted and o.completion and o.completion > freeze
    ]
    target = max(candidates, key=lambda o: o.completion or freeze)
    assert target.completion is not None
    due = target.completion - timedelta(days=2)
    quick = SolveParams(time_limit=args.time_limit, workers=args.workers, seed=0)
    started = time.monotonic()
    answer = preview(frozen_zone, published, target.id, due, quick)
    seconds = time.monotonic() - started
    report = check_plan(_expedited(frozen_zone, published, target.id, due), answer.plan)
    slipping = sum(1 for x in answer.orders if x.slips)
    print(
        f"expedite preview of {target.id} to {due.isoformat()}: {seconds:.1f} s, "
        f"can_meet={answer.can_meet}, completion {answer.completion}, "
        f"{slipping} orders slip, objective {answer.objective_before.total:.2f} -> "
        f"{answer.objective_after.total:.2f}, checker {'ok' if report.ok else 'FAIL'}"
    )

    extra = _with_ten_orders(frozen_zone, freeze)
    replanned = with_changes(extra, baseline=baseline_of(published))
    started = time.monotonic()
    after = solve(replanned, quick).plan
    seconds = time.monotonic() - started
    moved, counted = moved_share(published, after, freeze)
    report = check_plan(replanned, after)
    print(
        f"replan with 10 added orders: {seconds:.1f} s, moved {moved} of {counted} operations "
        f"after the freeze ({100 * moved / max(1, counted):.1f}%), stability "
        f"{after.objective.stability:.2f}, checker {'ok' if report.ok else 'FAIL'}"
    )
    return 0


def _expedited(scenario: Scenario, published: Plan, order_id: str, due: object) -> Scenario:
    from engine.expedite import expedite_scenario

    return expedite_scenario(scenario, published, order_id, due)  # type: ignore[arg-type]


def _with_ten_orders(scenario: Scenario, freeze: datetime) -> Scenario:
    """Ten copies of existing orders, released after the freeze, due a week after release."""
    new = []
    for k, order in enumerate(scenario.orders[:10]):
        release = max(order.release or scenario.horizon.start, freeze)
        new.append(
            order.model_copy(
                update={
                    "id": f"NEW-{k + 1:02d}",
                    "release": release,
                    "due": release + timedelta(days=7),
                    "firm": True,
                }
            )
        )
    return with_changes(scenario, orders=[*scenario.orders, *new])


if __name__ == "__main__":
    raise SystemExit(main())
