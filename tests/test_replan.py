"""Replanning from a published plan: the frozen zone, the stability term, and their checker rules.

Every scenario runs in UTC from Tuesday 2026-12-01 00:00 (minute 0) on the
``always`` calendar, with 60-min operations unless a test says otherwise, so
each optimum is computed by hand in its docstring. Each solve asserts the
proven optimum, the exact objective terms and that the independent checker
accepts the plan; the checker tests then break replanned plans one rule at a
time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from scenario_kit import (
    Data,
    assert_checked,
    at,
    base_scenario,
    by_order,
    expect_objective,
    minute,
    operation,
    order,
    product,
    solve_data,
    solve_optimal,
    spans,
)
from typer.testing import CliRunner

from engine.check import RULES, TERMS, check_plan
from engine.cli import app
from engine.io import load_scenario, scenario_from_data
from engine.model import Plan, Status


def placed(
    order_id: str,
    start: int,
    *,
    machine: str = "m1",
    operation: str = "run",
    staff: tuple[str, ...] = (),
    minutes: int = 60,
    line: int = 0,
) -> Data:
    """A baseline assignment of ``minutes`` minutes from minute ``start``."""
    return {
        "order": order_id,
        "line": line,
        "operation": operation,
        "machine": machine,
        "staff": list(staff),
        "start": at(start),
        "end": at(start + minutes),
    }


def replanning(
    data: Data,
    baseline: list[Data] | None = None,
    *,
    freeze: int | None = None,
    **weights: float,
) -> Data:
    """The scenario with a baseline, a freeze minute and objective weights laid over its policy."""
    out = copy.deepcopy(data)
    if baseline is not None:
        out["baseline"] = {"assignments": baseline}
    if freeze is not None:
        out["policy"]["freeze_until"] = at(freeze)
    out["policy"]["weights"].update(weights)
    return out


def starts(plan: Plan) -> dict[str, tuple[str, int]]:
    """Machine and start minute of each one-operation order."""
    return {a.order: (a.machine, minute(a.start)) for a in plan.assignments}


def moved(before: Plan, after: Plan) -> int:
    """How many operations of ``before`` changed machine or start in ``after``."""
    old = {(a.order, a.line, a.operation): (a.machine, a.start) for a in before.assignments}
    return sum(
        1
        for a in after.assignments
        if (key := (a.order, a.line, a.operation)) in old and old[key] != (a.machine, a.start)
    )


# --- the frozen zone ----------------------------------------------------------------------------


def test_frozen_operation_keeps_its_place_though_moving_it_pays() -> None:
    """A [60, 120) is frozen (starts before 180) though due at 0; B (no baseline) waits for 180.

    Without the freeze A [0, 60), B [60, 120) would cost 1 + 2 h; frozen, A is
    2 h late and B runs [180, 240), 4 h late: 6.
    """
    data = replanning(
        base_scenario(orders=[order("A", "p", due=0), order("B", "p", due=0)]),
        [placed("A", 60)],
        freeze=180,
    )
    plan = solve_optimal(data)
    expect_objective(plan, tardiness=6.0)
    assert starts(plan) == {"A": ("m1", 60), "B": ("m1", 180)}
    assert plan.warnings == []


def test_operation_in_progress_at_freeze_until_is_frozen() -> None:
    """A [120, 180) is running at the freeze (150): it stays, 3 h late; B runs [180, 240), 4 h."""
    data = replanning(
        base_scenario(orders=[order("A", "p", due=0), order("B", "p", due=0)]),
        [placed("A", 120)],
        freeze=150,
    )
    plan = solve_optimal(data)
    expect_objective(plan, tardiness=7.0)
    assert starts(plan) == {"A": ("m1", 120), "B": ("m1", 180)}


def test_frozen_operation_keeps_machine_and_staff() -> None:
    """A was on ``slow`` (90 min) with bob; frozen, it stays so though ``fast`` with anna is free.

    A [0, 90) is due at 30: 1 h late. B (30 min on fast, needs one welder) may
    start at the freeze (10) on fast with anna: [10, 40), due 40, on time.
    """
    data = replanning(
        base_scenario(
            machines=[{"id": "slow"}, {"id": "fast"}],
            staff=[
                {"id": "anna", "skills": ["weld"]},
                {"id": "bob", "skills": ["weld"]},
            ],
            products=[product("p", operation("run", {"slow": 90, "fast": 30}, skill="weld"))],
            orders=[order("A", "p", due=30), order("B", "p", due=40)],
        ),
        [placed("A", 0, machine="slow", staff=("bob",), minutes=90)],
        freeze=10,
    )
    plan = solve_optimal(data)
    expect_objective(plan, tardiness=1.0)
    mine = by_order(plan)
    assert (mine["A"][0].machine, mine["A"][0].staff, minute(mine["A"][0].start)) == (
        "slow",
        ["bob"],
        0,
    )
    assert (mine["B"][0].machine, mine["B"][0].staff, minute(mine["B"][0].start)) == (
        "fast",
        ["anna"],
        10,
    )


def test_nothing_else_starts_before_freeze_until() -> None:
    """Released and due at 0, nothing frozen: A and B run [300, 360), [360, 420), 6 + 7 h late."""
    data = replanning(
        base_scenario(orders=[order("A", "p", due=0), order("B", "p", due=0)]), freeze=300
    )
    plan = solve_optimal(data)
    expect_objective(plan, tardiness=13.0)
    assert spans(plan.assignments) == [(300, 360), (360, 420)]


def test_baseline_operation_at_freeze_until_is_not_frozen() -> None:
    """A's baseline start 40 is after the freeze (30), so not frozen: A moves 10 min to 30.

    Due at 0, tardiness weighs 2: staying costs 2 x 100/60; moving, 2 x 90/60 + 10/60.
    """
    data = replanning(
        base_scenario(orders=[order("A", "p", due=0)]),
        [placed("A", 40)],
        freeze=30,
        tardiness=2.0,
    )
    plan = solve_optimal(data)
    expect_objective(plan, tardiness=3.0, stability=1 / 6)
    assert starts(plan) == {"A": ("m1", 30)}


# --- the stability term -------------------------------------------------------------------------


def _urgent(stability: float) -> Data:
    """A [0, 60) was published, due late; urgent U (2 x 60 min) is new, due at 120."""
    return replanning(
        base_scenario(orders=[order("A", "p", due=600), order("U", "p", 2, due=120)]),
        [placed("A", 0)],
        stability=stability,
    )


def test_added_urgent_order_moves_a_baseline_operation_two_hours() -> None:
    """U [0, 120) on time and A moved 2 h to [120, 180): 2 x 0.25; leaving A costs U 1 h late."""
    plan = solve_optimal(_urgent(stability=0.25))
    expect_objective(plan, stability=0.5)
    assert starts(plan) == {"U": ("m1", 0), "A": ("m1", 120)}


def test_stability_weight_keeps_the_baseline_when_moving_costs_more() -> None:
    """Moving A 2 h now costs 2 x 0.75 > 1 h of U's tardiness: A stays, U runs [60, 180)."""
    plan = solve_optimal(_urgent(stability=0.75))
    expect_objective(plan, tardiness=1.0)
    assert starts(plan) == {"A": ("m1", 0), "U": ("m1", 60)}


def test_machine_change_counts_one_hour_equivalent() -> None:
    """A may run on m1 or m2; U (120 min) only on m1, due at 120.

    A moved to m2 at 0 costs 1 hour-equivalent x 0.5; moved 2 h on m1, 2 x 0.5;
    left alone, U is 1 h late. Optimum: A on m2 [0, 60), stability 0.5.
    """
    data = replanning(
        base_scenario(
            machines=[{"id": "m1"}, {"id": "m2"}],
            products=[
                product("p", operation("run", {"m1": 60, "m2": 60})),
                product("u", operation("run", {"m1": 120})),
            ],
            orders=[order("A", "p", due=600), order("U", "u", due=120)],
        ),
        [placed("A", 0)],
        stability=0.5,
    )
    plan = solve_optimal(data)
    expect_objective(plan, stability=0.5)
    assert starts(plan) == {"A": ("m2", 0), "U": ("m1", 0)}


def test_idle_time_before_a_baseline_operation_is_kept() -> None:
    """A was published at [60, 120), m1 idle before it; nothing changed, so nothing moves.

    Moving A to 0 gains nothing (due at 600) and costs 1 h of stability.
    """
    data = replanning(base_scenario(orders=[order("A", "p", due=600)]), [placed("A", 60)])
    plan = solve_optimal(data)
    expect_objective(plan)
    assert starts(plan) == {"A": ("m1", 60)}


def _three_on_two() -> Data:
    """Five orders, two-operation routings on two machines."""
    return base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        products=[
            product("p", operation("cut", {"m1": 30, "m2": 45}), operation("end", {"m2": 20})),
            product("q", operation("run", {"m1": 60})),
        ],
        orders=[
            order("A", "p", due=60),
            order("B", "q", due=90),
            order("C", "p", 2, due=200),
            order("D", "q", due=100),
            order("E", "p", due=400),
        ],
    )


@pytest.mark.parametrize("freeze", [None, 0, 95])
def test_replanning_an_unchanged_plan_moves_nothing(freeze: int | None) -> None:
    """A solved plan as its own baseline: the same assignments, stability 0, no warnings."""
    first = solve_optimal(_three_on_two())
    data = replanning(
        _three_on_two(),
        [a.model_dump(mode="json") for a in first.assignments],
        freeze=freeze,
    )
    again = solve_optimal(data)
    assert again.objective.stability == 0.0
    assert again.objective.total == pytest.approx(first.objective.total, abs=1e-9)
    assert moved(first, again) == 0
    assert sorted((a.order, a.operation, a.machine, a.start) for a in again.assignments) == sorted(
        (a.order, a.operation, a.machine, a.start) for a in first.assignments
    )
    assert again.warnings == []


@pytest.mark.parametrize("freeze", [0, 30, 45, 100, 150, 400])
def test_added_order_keeps_every_operation_started_before_the_freeze(freeze: int) -> None:
    """Two-operation routings on two machines, an urgent order added: the frozen part stays."""
    first = solve_optimal(_three_on_two())
    data = _three_on_two()
    data["orders"].append(order("U", "q", due=30))
    data = replanning(data, [a.model_dump(mode="json") for a in first.assignments], freeze=freeze)
    again = solve_optimal(data)
    assert again.warnings == []
    now = {(a.order, a.operation): a for a in again.assignments}
    for a in first.assignments:
        if minute(a.start) < freeze:
            kept = now[(a.order, a.operation)]
            assert (kept.machine, kept.staff, kept.start) == (a.machine, a.staff, a.start)
    old = {(a.order, a.operation) for a in first.assignments if minute(a.start) < freeze}
    assert all(minute(a.start) >= freeze for key, a in now.items() if key not in old)


def test_high_stability_weight_moves_fewer_operations() -> None:
    """A [0, 60), B [60, 120) published; new U due at 60.

    Weight 0: U must be on time, so it goes first and both A and B move.
    Weight 10: moving them costs 20; U waits to [120, 180), 2 h late.
    """
    base = base_scenario(
        orders=[order("A", "p", due=600), order("B", "p", due=600), order("U", "p", due=60)]
    )
    published = [placed("A", 0), placed("B", 60)]
    loose = solve_optimal(replanning(base, published, stability=0.0))
    firm = solve_optimal(replanning(base, published, stability=10.0))
    expect_objective(loose)
    expect_objective(firm, tardiness=2.0)
    baseline_plan = Plan.model_validate(
        {"scenario": "behaviour", "status": "optimal", "assignments": published}
    )
    assert moved(baseline_plan, loose) == 2
    assert moved(baseline_plan, firm) == 0


# --- a baseline that no longer fits --------------------------------------------------------------


def _m2_only() -> Data:
    """A (60 min, due at 600) now runs on m2 only; m1 is gone."""
    return base_scenario(
        machines=[{"id": "m2"}],
        products=[product("p", operation("run", {"m2": 60}))],
        orders=[order("A", "p", due=600)],
    )


STALE: list[tuple[str, list[Data], list[str], float]] = [
    # (case, baseline, words the warning names, exact stability)
    ("machine-gone", [placed("A", 0, machine="m1")], ["A", "m1", "cannot be kept frozen"], 1.5),
    ("order-cancelled", [placed("X", 0, machine="m2")], ["X", "no longer in the scenario"], 0.0),
    ("operation-gone", [placed("A", 0, machine="m2", operation="polish")], ["polish"], 0.0),
    ("line-gone", [placed("A", 0, machine="m2", line=3)], ["A", "line 3"], 0.0),
    ("crew-changed", [placed("A", 0, machine="m2", staff=("zoe",))], ["crew of 0"], 0.5),
    ("length-changed", [placed("A", 0, machine="m2", minutes=45)], ["45 min", "60 min"], 0.5),
    (
        "duplicate",
        [placed("A", 30, machine="m2"), placed("A", 0, machine="m2")],
        ["twice", "baseline.assignments[1]"],
        0.0,
    ),
]


@pytest.mark.parametrize(
    ("baseline", "words", "stability"),
    [case[1:] for case in STALE],
    ids=[case[0] for case in STALE],
)
def test_stale_baseline_is_reported_and_still_solves(
    baseline: list[Data], words: list[str], stability: float
) -> None:
    """Freeze at 30: what cannot be kept is warned about and planned afresh from 30."""
    plan = solve_optimal(replanning(_m2_only(), baseline, freeze=30))
    assert len(plan.warnings) == 1, plan.warnings
    for word in words:
        assert word in plan.warnings[0]
    expect_objective(plan, stability=stability)
    assert starts(plan) == {"A": ("m2", 30)}


def _crewed_base(release: int | None = None) -> Data:
    extra: dict[str, Any] = {} if release is None else {"release": release}
    return base_scenario(
        calendars={"late": {"weekly": "all", "closed": [{"start": at(0), "end": at(30)}]}},
        machines=[{"id": "m2"}],
        staff=[
            {"id": "anna", "skills": ["weld"]},
            {"id": "carl", "skills": ["paint"]},
            {"id": "dora", "skills": ["weld"], "calendar": "late"},
        ],
        products=[product("p", operation("run", {"m2": 60}, skill="weld"))],
        orders=[order("A", "p", due=600, **extra)],
    )


CREWED: list[tuple[str, Data, list[Data], list[str]]] = [
    # (case, scenario, baseline, words the warning names); each frozen candidate is unkeepable
    ("person-gone", _crewed_base(), [placed("A", 0, machine="m2", staff=("zoe",))], ["zoe"]),
    (
        "person-lacks-skill",
        _crewed_base(),
        [placed("A", 0, machine="m2", staff=("carl",))],
        ["carl", "weld"],
    ),
    (
        "person-off-work",
        _crewed_base(),
        [placed("A", 0, machine="m2", staff=("dora",))],
        ["dora is no longer working"],
    ),
    (
        "person-twice",
        _crewed_base(),
        [placed("A", 0, machine="m2", staff=("anna", "anna"))],
        ["crew of 1"],
    ),
    (
        "before-release",
        _crewed_base(release=10),
        [placed("A", 0, machine="m2", staff=("anna",))],
        ["release"],
    ),
    (
        "before-horizon",
        _crewed_base(),
        [placed("A", -20, machine="m2", staff=("anna",))],
        ["horizon"],
    ),
]


@pytest.mark.parametrize(
    ("data", "baseline", "words"),
    [case[1:] for case in CREWED],
    ids=[case[0] for case in CREWED],
)
def test_unkeepable_crewed_baseline_is_reported(
    data: Data, baseline: list[Data], words: list[str]
) -> None:
    """Freeze at 30: the baseline A cannot be kept, so A runs from 30 with a welder."""
    plan = solve_optimal(replanning(data, baseline, freeze=30))
    assert len(plan.warnings) == 1, plan.warnings
    assert "cannot be kept frozen" in plan.warnings[0]
    for word in words:
        assert word in plan.warnings[0]
    assert starts(plan) == {"A": ("m2", 30)}
    assert by_order(plan)["A"][0].staff in (["anna"], ["dora"])


def test_baseline_warnings_survive_an_infeasible_replan() -> None:
    """Two firm 25-h orders cannot share one machine in 48 h; the stale X is still reported."""
    data = base_scenario(
        products=[product("p", operation("run", {"m1": 1500}))],
        orders=[order("A", "p", due=2880), order("B", "p", due=2880)],
    )
    _, result = solve_data(replanning(data, [placed("X", 0)]), workers=1, time_limit=10)
    assert result.status == Status.INFEASIBLE
    assert any("X" in w for w in result.plan.warnings), result.plan.warnings


@pytest.mark.parametrize("method", ["cp", "dispatch"])
def test_frozen_operations_that_now_conflict_are_reported(method: str) -> None:
    """A (family x) [0, 60) and B (family y) [60, 120) were published back to back; the
    changeover is now 30 min and the freeze at 90. Each fits alone, both cannot stay: the
    result must say so in terms of the baseline, and a plan it returns must pass the checker.
    """
    data = base_scenario(
        machines=[{"id": "m1", "changeover": 30}],
        products=[
            product("px", operation("run", {"m1": 60}, setup_family="x")),
            product("py", operation("run", {"m1": 60}, setup_family="y")),
        ],
        orders=[order("A", "px", due=600), order("B", "py", due=600)],
    )
    scenario, result = solve_data(
        replanning(data, [placed("A", 0), placed("B", 60)], freeze=90), method=method
    )
    if result.plan.assignments:
        report = check_plan(scenario, result.plan)
        assert report.ok, [str(v) for v in report.violations]
    said = result.plan.warnings + result.plan.reasons
    assert any("baseline" in s or "frozen" in s for s in said), said


def test_baseline_op_frozen_into_downtime_is_not_kept() -> None:
    """m1 now has downtime [0, 30): A's baseline [0, 60) cannot be kept and runs from 30."""
    data = base_scenario(
        machines=[{"id": "m1", "downtime": [{"start": at(0), "end": at(30)}]}],
        orders=[order("A", "p", due=600)],
    )
    plan = solve_optimal(replanning(data, [placed("A", 0)], freeze=20))
    assert len(plan.warnings) == 1
    assert "m1 is no longer working" in plan.warnings[0]
    expect_objective(plan, stability=0.5)
    assert starts(plan) == {"A": ("m1", 30)}


def _lost_cutter() -> Data:
    """Published: cut [0, 60) on m1 by zoe, end [60, 120) on m2; zoe has left, freeze at 90.

    The cut cannot be kept and must start at or after 90, so the end, which
    follows it, cannot stay at 60 either: cut [90, 150) with anna, end
    [150, 210), each moved 1.5 h: stability 3.
    """
    return replanning(
        base_scenario(
            machines=[{"id": "m1"}, {"id": "m2"}],
            staff=[{"id": "anna", "skills": ["cut"]}],
            products=[
                product(
                    "p", operation("cut", {"m1": 60}, skill="cut"), operation("end", {"m2": 60})
                )
            ],
            orders=[order("A", "p", due=600)],
        ),
        [
            placed("A", 0, operation="cut", staff=("zoe",)),
            placed("A", 60, machine="m2", operation="end"),
        ],
        freeze=90,
    )


def test_operation_after_an_unkeepable_one_is_not_frozen() -> None:
    plan = solve_optimal(_lost_cutter())
    assert any("cut" in w and "zoe" in w for w in plan.warnings), plan.warnings
    expect_objective(plan, stability=3.0)
    assert spans(plan.assignments) == [(90, 150), (150, 210)]


def test_checker_does_not_freeze_what_follows_an_unkeepable_operation() -> None:
    plan = {
        "scenario": "behaviour",
        "status": "feasible",
        "objective": {"total": 3.0, "stability": 3.0},
        "orders": [
            {
                "id": "A",
                "accepted": True,
                "priority": 1,
                "completion": at(210),
                "tardiness_minutes": 0,
                "lines": [{"product": "p", "quantity": 1, "source": "production"}],
            }
        ],
        "assignments": [
            placed("A", 90, operation="cut", staff=("anna",)),
            placed("A", 150, machine="m2", operation="end"),
        ],
    }
    report = check_plan(scenario_from_data(_lost_cutter()), plan)
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective["stability"] == 3.0


# --- the checker's frozen rule and stability term ------------------------------------------------


def _replanned() -> tuple[Data, Plan]:
    """Frozen A [0, 60) with anna on m1, B published [60, 120) on m1, new U (120 min, m1 only).

    Freeze at 30, stability weighs 0.5, U is due at 180. U takes m1 [60, 180):
    B moves to m2 [60, 120), one machine change (0.5); moving B after U costs
    2 h (1.0), leaving B in place makes U 1 h late (1.0).
    """
    data = replanning(
        base_scenario(
            machines=[{"id": "m1"}, {"id": "m2"}],
            staff=[
                {"id": "anna", "skills": ["weld"]},
                {"id": "bob", "skills": ["weld"]},
            ],
            products=[
                product("p", operation("run", {"m1": 60, "m2": 60}, skill="weld")),
                product("u", operation("run", {"m1": 60})),
            ],
            orders=[
                order("A", "p", due=600),
                order("B", "p", due=600),
                order("U", "u", 2, due=180),
            ],
        ),
        [placed("A", 0, staff=("anna",)), placed("B", 60, staff=("bob",))],
        freeze=30,
        stability=0.5,
    )
    return data, solve_optimal(data)


def test_replanned_plan_passes_with_exact_stability() -> None:
    data, plan = _replanned()
    expect_objective(plan, stability=0.5)
    assert starts(plan) == {"A": ("m1", 0), "B": ("m2", 60), "U": ("m1", 60)}
    assert by_order(plan)["A"][0].staff == ["anna"]
    report = assert_checked(scenario_from_data(data), plan)
    assert report.objective["stability"] == 0.5
    assert set(report.objective) == set(TERMS)


Mutation = Callable[[dict[str, Any]], None]


def _assignment(plan: dict[str, Any], order_id: str) -> dict[str, Any]:
    return next(a for a in plan["assignments"] if a["order"] == order_id)


def _shift(order_id: str, minutes: int) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        a = _assignment(plan, order_id)
        a["start"] = at(minute_of(a["start"]) + minutes)
        a["end"] = at(minute_of(a["end"]) + minutes)

    return mutate


def minute_of(text: str) -> int:
    """The minute of an ISO instant."""
    return minute(datetime.fromisoformat(text))


def _set(order_id: str, key: str, value: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        _assignment(plan, order_id)[key] = value

    return mutate


def _bump_stability(plan: dict[str, Any]) -> None:
    plan["objective"]["stability"] += 0.25
    plan["objective"]["total"] += 0.25


def _to_start(order_id: str, start: int, machine: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        a = _assignment(plan, order_id)
        length = minute_of(a["end"]) - minute_of(a["start"])
        a.update(machine=machine, start=at(start), end=at(start + length))

    return mutate


# (case, mutation, rules that must be reported, the order the frozen violation names)
CHECKER_CASES: list[tuple[str, Mutation, set[str], str | None]] = [
    ("frozen-moved", _to_start("A", 5, "m1"), {"frozen"}, "A"),
    ("frozen-other-machine", _set("A", "machine", "m2"), {"frozen"}, "A"),
    ("frozen-other-staff", _set("A", "staff", ["bob"]), {"frozen"}, "A"),
    ("frozen-dropped", lambda p: p["assignments"].remove(_assignment(p, "A")), {"frozen"}, "A"),
    ("before-freeze", _to_start("B", 0, "m2"), {"frozen", "objective"}, "B"),
    ("stability-misreported", _bump_stability, {"objective"}, None),
]


@pytest.mark.parametrize(
    ("mutation", "rules", "names"),
    [case[1:] for case in CHECKER_CASES],
    ids=[case[0] for case in CHECKER_CASES],
)
def test_checker_reports_broken_frozen_zone(
    mutation: Mutation, rules: set[str], names: str | None
) -> None:
    data, plan = _replanned()
    broken = plan.model_dump(mode="json")
    mutation(broken)
    report = check_plan(scenario_from_data(data), broken)
    assert rules <= report.rules(), [str(v) for v in report.violations]
    frozen = [v.message for v in report.violations if v.rule == "frozen"]
    assert all(m.startswith(f"{names} line 0 op run") for m in frozen), frozen
    assert "frozen" in RULES


def test_checker_frozen_violation_says_what_changed() -> None:
    data, plan = _replanned()
    broken = plan.model_dump(mode="json")
    _set("A", "machine", "m2")(broken)
    _set("A", "staff", ["bob"])(broken)
    report = check_plan(scenario_from_data(data), broken)
    assert [v.message for v in report.violations if v.rule == "frozen"] == [
        "A line 0 op run is frozen (on m1 at 2026-12-01T00:00+00:00) but has machine m2 "
        "instead of m1, staff [bob] instead of [anna]"
    ]


# --- the CLI ------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_solve_replans_from_a_baseline_plan(tmp_path: Path) -> None:
    """Published A [0, 60), X [60, 120); X is cancelled, urgent U added: A moves 2 h (0.25/h)."""
    data = base_scenario(
        orders=[order("A", "p", due=600), order("U", "p", 2, due=120)], weights={"stability": 0.25}
    )
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    published = {
        "scenario": "behaviour",
        "status": "optimal",
        "assignments": [placed("A", 0), placed("X", 60)],
    }
    plan_file = tmp_path / "published.json"
    plan_file.write_text(json.dumps(published), encoding="utf-8")
    out = tmp_path / "replanned.json"
    args = ["solve", str(scenario_file), "--baseline", str(plan_file), "--out", str(out)]
    result = runner.invoke(app, [*args, "--time-limit", "10", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    plan = Plan.model_validate(json.loads(out.read_text(encoding="utf-8")))
    assert plan.status == Status.OPTIMAL
    expect_objective(plan, stability=0.5)
    assert starts(plan) == {"U": ("m1", 0), "A": ("m1", 120)}
    assert len(plan.warnings) == 1
    assert "X" in plan.warnings[0]
    # The plan answers the scenario with that baseline, and the checker agrees.
    replanned = replanning(data, [placed("A", 0), placed("X", 60)])
    assert_checked(scenario_from_data(replanned), plan)
    assert load_scenario(scenario_file).baseline is None


def test_cli_solve_rejects_an_unreadable_baseline(tmp_path: Path) -> None:
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(
        yaml.safe_dump(base_scenario(orders=[order("A", "p", due=600)])), encoding="utf-8"
    )
    plan_file = tmp_path / "published.json"
    plan_file.write_text('{"assignments": []}', encoding="utf-8")
    result = runner.invoke(
        app, ["solve", str(scenario_file), "--baseline", str(plan_file), "--quiet"]
    )
    assert result.exit_code == 2, result.output
    assert "cannot read plan" in result.output
