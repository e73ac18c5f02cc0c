"""The neighbourhood search and the staged strategy produce valid plans on generated plants.

Small scenarios are forced down the paths that real sizes take (whole model then
LNS, and LNS alone) by lowering the size thresholds, so every plan of every stage
goes through the independent checker.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

import engine.solve.solver as solver_module
from benchmarks.generate import generate
from engine.check import check_plan
from engine.expedite import baseline_of, with_changes
from engine.io import scenario_from_data
from engine.model import Status
from engine.problem import build_problem
from engine.solve import SolveParams, solve
from engine.solve.lns import neighbourhood

PARAMS = SolveParams(time_limit=4, workers=2, seed=0)


@pytest.mark.parametrize("tier", ["medium", "large"])
@pytest.mark.parametrize("seed", [3, 7])
def test_forced_paths_give_checked_plans(
    monkeypatch: pytest.MonkeyPatch, tier: str, seed: int
) -> None:
    monkeypatch.setattr(solver_module, "SMALL_MODEL", 0)
    if tier == "large":
        monkeypatch.setattr(solver_module, "LARGE_MODEL", 0)
    scenario = scenario_from_data(generate(30, seed))
    seen = []
    result = solve(scenario, PARAMS, on_progress=lambda p: seen.append(p), with_plans=True)
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    report = check_plan(scenario, result.plan)
    assert report.ok, report.violations
    assert result.plan.bound is not None
    assert result.plan.bound <= result.plan.objective.total + 1e-9
    for progress in seen:
        assert progress.plan is not None
        assert check_plan(scenario, progress.plan).ok
    values = [p.objective for p in seen]
    assert all(b < a for a, b in pairwise(values)), values


def test_large_path_replans_from_a_baseline_keeping_the_frozen_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solver_module, "SMALL_MODEL", 0)
    monkeypatch.setattr(solver_module, "LARGE_MODEL", 0)
    scenario = scenario_from_data(generate(25, 11))
    published = solve(scenario, PARAMS).plan
    freeze = scenario.horizon.start + timedelta(days=2)
    policy = scenario.policy.model_copy(update={"freeze_until": freeze})
    replanned = with_changes(scenario, policy=policy, baseline=baseline_of(published))
    result = solve(replanned, PARAMS)
    report = check_plan(replanned, result.plan)
    assert report.ok, report.violations
    before = {(a.order, a.line, a.operation): a for a in published.assignments}
    for a in result.plan.assignments:
        old = before.get((a.order, a.line, a.operation))
        if old is not None and old.start < freeze:
            assert (a.machine, sorted(a.staff), a.start) == (
                old.machine,
                sorted(old.staff),
                old.start,
            )
        else:
            assert a.start >= freeze


def test_neighbourhood_frees_only_the_window() -> None:
    scenario = scenario_from_data(generate(10, 5))
    data = build_problem(scenario)
    plan = solve(scenario, SolveParams(time_limit=3, workers=1, method="dispatch"))
    assert plan.has_plan
    from engine.dispatch import dispatch

    schedule = dispatch(data)
    assert schedule is not None
    first = schedule.ops[0]
    key = (first.order, first.line, first.position)
    sub = neighbourhood(data, schedule, (first.start, first.end + 600), {key})
    for line in sub.lines:
        for op in line.ops:
            mine = (line.order, line.index, op.position)
            if mine == key:
                assert not op.pinned
                assert all(a >= first.start for m in op.modes for a, _ in m.starts)
            elif any(p.order == line.order and p.line == line.index for p in schedule.ops):
                assert op.pinned
