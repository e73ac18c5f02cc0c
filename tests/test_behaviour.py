"""One behaviour test per rule family and objective term, each on a scenario of 2-4 operations.

Every scenario runs in UTC from Tuesday 2026-12-01 00:00 (minute 0) for two days,
so the optimum of each is computed by hand in its docstring. Each test asserts
the proven status, the exact objective terms, the structural fact the rule
forces, and that the independent checker accepts the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from scenario_kit import (
    HORIZON_MINUTES,
    Data,
    assert_checked,
    at,
    base_scenario,
    by_order,
    expect_objective,
    fall_back_scenario,
    minute,
    operation,
    order,
    product,
    solve_data,
    solve_optimal,
    spans,
)

from engine.model import Plan, Status

DAY = {"tue": [["08:00", "16:00"]], "wed": [["08:00", "16:00"]]}
"""Tuesday and Wednesday 08:00-16:00: minutes [480, 960) and [1920, 2400)."""


def _families(plan: Plan, family: dict[str, str | None]) -> list[str | None]:
    """Setup families of the machine sequence (by order id), in start order."""
    return [family[a.order] for a in sorted(plan.assignments, key=lambda a: a.start)]


# --- the scenarios, by rule family; each docstring gives the hand-computed optimum -------------


def alternative_machines() -> Data:
    """6 units at 10 min on ``slow`` or 5 on ``fast``; due at 20: fast ends at 30, 10 min late."""
    return base_scenario(
        machines=[{"id": "slow"}, {"id": "fast"}],
        products=[product("p", operation("cut", {"slow": 10, "fast": 5}))],
        orders=[order("A", "p", 6, due=20)],
    )


def routing_precedence() -> Data:
    """``a`` on m1 [0, 30), then ``b`` on m2 [30, 50); due at 10: 40 min late."""
    return base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        products=[product("p", operation("a", {"m1": 30}), operation("b", {"m2": 20}))],
        orders=[order("A", "p", due=10)],
    )


def machine_no_overlap() -> Data:
    """Two 60-min operations on one machine, both due at 60: the second ends at 120, 1 h late."""
    return base_scenario(orders=[order("A", "p", due=60), order("B", "p", due=60)])


def changeover_grouping() -> Data:
    """Families x, y, x, y on one machine with a 30-min changeover weighted 1 per hour.

    Grouping the families (xxyy or yyxx) needs one changeover: 0.5. Nothing is late.
    """
    return base_scenario(
        machines=[{"id": "m1", "changeover": 30}],
        products=[
            product("px", operation("run", {"m1": 60}, setup_family="x")),
            product("py", operation("run", {"m1": 60}, setup_family="y")),
        ],
        orders=[
            order("A", "px", due=HORIZON_MINUTES),
            order("B", "py", due=HORIZON_MINUTES),
            order("C", "px", due=HORIZON_MINUTES),
            order("D", "py", due=HORIZON_MINUTES),
        ],
        weights={"changeover": 1.0},
    )


def changeover_without_family() -> Data:
    """Families x, none and y: the family-less operation between them avoids any changeover."""
    return base_scenario(
        machines=[{"id": "m1", "changeover": 30}],
        products=[
            product("px", operation("run", {"m1": 60}, setup_family="x")),
            product("pn", operation("run", {"m1": 60})),
            product("py", operation("run", {"m1": 60}, setup_family="y")),
        ],
        orders=[
            order("X", "px", due=HORIZON_MINUTES),
            order("N", "pn", due=HORIZON_MINUTES),
            order("Y", "py", due=HORIZON_MINUTES),
        ],
        weights={"changeover": 1.0},
    )


def changeover_delays_due() -> Data:
    """A (x, due 60) at [0, 60); the 60-min changeover puts B (y, due 150) at [120, 180): 0.5 h."""
    return base_scenario(
        machines=[{"id": "m1", "changeover": 60}],
        products=[
            product("px", operation("run", {"m1": 60}, setup_family="x")),
            product("py", operation("run", {"m1": 60}, setup_family="y")),
        ],
        orders=[order("A", "px", due=60), order("B", "py", due=150)],
    )


def crew_of_two() -> Data:
    """Assembly needs two people with skill ``assembly``: anna and ben, never chris."""
    return base_scenario(
        staff=[
            {"id": "anna", "skills": ["assembly"]},
            {"id": "chris", "skills": ["sawing"]},
            {"id": "ben", "skills": ["assembly", "sawing"]},
        ],
        products=[product("p", operation("assemble", {"m1": 60}, skill="assembly", crew=2))],
        orders=[order("A", "p", due=60)],
    )


def one_skilled_person() -> Data:
    """Two machines but one welder: the welds serialize, the second ends at 120, 1 h late."""
    return base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        staff=[{"id": "wanda", "skills": ["welding"]}, {"id": "sam", "skills": ["sawing"]}],
        products=[product("p", operation("weld", {"m1": 60, "m2": 60}, skill="welding"))],
        orders=[order("A", "p", due=60), order("B", "p", due=60)],
    )


def weekly_window() -> Data:
    """Released Tue 12:00, 300 min do not fit before 16:00: Wed 08:00-13:00, 21 h after 16:00."""
    return base_scenario(
        calendars={"day": {"weekly": DAY}},
        machines=[{"id": "m1", "calendar": "day"}],
        products=[product("p", operation("run", {"m1": 300}))],
        orders=[order("A", "p", due=960, release=720)],
    )


def night_shift() -> Data:
    """Windows Tue 22:00-24:00 and Wed 00:00-06:00 join: 180 min run 22:00-01:00, 25 h late."""
    return base_scenario(
        calendars={"night": {"weekly": {"tue": [["22:00", "24:00"]], "wed": [["00:00", "06:00"]]}}},
        machines=[{"id": "m1", "calendar": "night"}],
        products=[product("p", operation("run", {"m1": 180}))],
        orders=[order("A", "p", due=0)],
    )


def holiday() -> Data:
    """Closed Tue 02:00-10:00: 180 min do not fit before it, so [600, 780), 13 h late."""
    closed = [{"start": at(120), "end": at(600), "reason": "holiday"}]
    return base_scenario(
        calendars={"plant": {"weekly": "all", "closed": closed}},
        machines=[{"id": "m1", "calendar": "plant"}],
        products=[product("p", operation("run", {"m1": 180}))],
        orders=[order("A", "p", due=0)],
    )


def downtime() -> Data:
    """Downtime [60, 180): 90 min do not fit before it, so [180, 270), 4.5 h late."""
    return base_scenario(
        machines=[{"id": "m1", "downtime": [{"start": at(60), "end": at(180), "reason": "blade"}]}],
        products=[product("p", operation("run", {"m1": 90}))],
        orders=[order("A", "p", due=0)],
    )


def staff_calendar() -> Data:
    """The machine runs always, the only welder Tue 08:00-16:00: [480, 540), 9 h late."""
    return base_scenario(
        calendars={"day": {"weekly": DAY}},
        staff=[{"id": "wanda", "skills": ["welding"], "calendar": "day"}],
        products=[product("p", operation("weld", {"m1": 60}, skill="welding"))],
        orders=[order("A", "p", due=0)],
    )


def release() -> Data:
    """Released at 600 and due then: [600, 660), 1 h late."""
    return base_scenario(orders=[order("A", "p", due=600, release=600)])


def horizon_end() -> Data:
    """Released at 2820, 120 min cannot end by 2880: the optional order is rejected (value 50)."""
    return base_scenario(
        products=[product("p", operation("run", {"m1": 120}))],
        orders=[order("A", "p", due=HORIZON_MINUTES, release=2820, value=50, firm=False)],
    )


def material_receipt() -> Data:
    """Each order takes 10 boards; 10 on hand, 10 more at 360: starts 0 and 360, 1 h + 7 h late."""
    return base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        products=[product("p", operation("run", {"m1": 60, "m2": 60}), materials={"board": 10})],
        materials=[{"id": "board", "on_hand": 10, "receipts": [{"at": at(360), "quantity": 10}]}],
        orders=[order("A", "p", due=0), order("B", "p", due=0)],
    )


def stock_at_release() -> Data:
    """5 in stock, 5 ordered, released and due at 600: from stock, complete at 600, on time."""
    return base_scenario(stock={"p": 5}, orders=[order("A", "p", 5, due=600, release=600)])


def stock_shared() -> Data:
    """One unit in stock for two orders due at 0: one from stock, the other made in [0, 60)."""
    return base_scenario(stock={"p": 1}, orders=[order("A", "p", due=0), order("B", "p", due=0)])


def stock_not_partial() -> Data:
    """3 in stock, 5 ordered: all 5 are made (5 x 10 min), never 3 from stock: 50 min late."""
    return base_scenario(
        products=[product("p", operation("run", {"m1": 10}))],
        stock={"p": 3},
        orders=[order("A", "p", 5, due=0)],
    )


def stock_when_production_never_fits() -> Data:
    """5 in stock and ordered; making them (3000 min) could never end in the horizon: from stock."""
    return base_scenario(
        products=[product("p", operation("run", {"m1": 600}))],
        stock={"p": 5},
        orders=[order("A", "p", 5, due=0)],
    )


def two_lines() -> Data:
    """Line 0 from stock (complete at release 0), line 1 made in [0, 60): 1 h late."""
    data = base_scenario(
        products=[
            product("p", operation("run", {"m1": 60})),
            product("q", operation("run", {"m1": 60})),
        ],
        stock={"p": 1},
        orders=[order("A", "p", due=0)],
    )
    data["orders"][0]["lines"].append({"product": "q", "quantity": 1})
    return data


def optional(value: float) -> Data:
    """An optional order 2 h late if made (120 min, due at 0), worth ``value``."""
    return base_scenario(
        products=[product("p", operation("run", {"m1": 120}))],
        orders=[order("A", "p", due=0, value=value, firm=False)],
    )


def tier_weights() -> Data:
    """A (standard) and B (key, weight 3) due at 60 on one machine; tardiness weight 2.

    B first leaves A 1 h late: 2 x 1 x 1 = 2; A first would cost 2 x 3 x 1 = 6.
    """
    return base_scenario(
        customers=[{"id": "c"}, {"id": "k", "tier": "key"}],
        orders=[order("A", "p", due=60), order("B", "p", due=60, customer="k")],
        policy={
            "tier_weights": {"standard": 1, "key": 3},
            "weights": {"tardiness": 2.0, "rejection": 1.0},
        },
    )


def rejection_weight() -> Data:
    """A firm order on time and an optional one (value 10) that cannot fit; rejection weight 0.5."""
    return base_scenario(
        orders=[
            order("F", "p", due=60),
            order("O", "p", due=HORIZON_MINUTES, release=2850, value=10, firm=False),
        ],
        weights={"rejection": 0.5},
    )


def makespan() -> Data:
    """Two 60-min orders released at 120 run in parallel on two machines: makespan 180 min = 3 h."""
    return base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        products=[product("p", operation("run", {"m1": 60, "m2": 60}))],
        orders=[
            order("A", "p", due=HORIZON_MINUTES, release=120),
            order("B", "p", due=HORIZON_MINUTES, release=120),
        ],
        weights={"tardiness": 0.0, "makespan": 1.0},
    )


# --- rule families --------------------------------------------------------------------------


def test_alternative_machines_choose_the_faster() -> None:
    plan = solve_optimal(alternative_machines())
    expect_objective(plan, tardiness=10 / 60)
    [a] = plan.assignments
    assert a.machine == "fast"
    assert (minute(a.start), minute(a.end)) == (0, 30)


def test_routing_precedence() -> None:
    plan = solve_optimal(routing_precedence())
    expect_objective(plan, tardiness=40 / 60)
    a, b = by_order(plan)["A"]
    assert (a.operation, a.machine, minute(a.start), minute(a.end)) == ("a", "m1", 0, 30)
    assert (b.operation, b.machine, minute(b.start), minute(b.end)) == ("b", "m2", 30, 50)


def test_machine_runs_one_operation_at_a_time() -> None:
    plan = solve_optimal(machine_no_overlap())
    expect_objective(plan, tardiness=1.0)
    assert spans(plan.assignments) == [(0, 60), (60, 120)]
    completions = sorted(minute(o.completion) for o in plan.orders if o.completion)
    assert completions == [60, 120]
    assert sorted(o.tardiness_minutes or 0 for o in plan.orders) == [0, 60]


def test_changeovers_group_setup_families() -> None:
    plan = solve_optimal(changeover_grouping())
    expect_objective(plan, changeover=0.5)
    sequence = _families(plan, {"A": "x", "B": "y", "C": "x", "D": "y"})
    assert sequence in (["x", "x", "y", "y"], ["y", "y", "x", "x"])
    # The one changeover leaves its 30 minutes between the two families, nowhere else.
    ordered = sorted(spans(plan.assignments))
    gaps = [b[0] - a[1] for a, b in pairwise(ordered)]
    assert sorted(gaps)[-1] >= 30


def test_changeover_only_between_two_set_families() -> None:
    plan = solve_optimal(changeover_without_family())
    expect_objective(plan)
    assert _families(plan, {"X": "x", "N": None, "Y": "y"})[1] is None


def test_changeover_gap_delays_a_due_date() -> None:
    plan = solve_optimal(changeover_delays_due())
    expect_objective(plan, tardiness=0.5)
    got = {o: spans(a) for o, a in by_order(plan).items()}
    assert got == {"A": [(0, 60)], "B": [(120, 180)]}


def test_crew_of_two_distinct_skilled_people() -> None:
    plan = solve_optimal(crew_of_two())
    expect_objective(plan)
    [a] = plan.assignments
    assert sorted(a.staff) == ["anna", "ben"]


def test_one_skilled_person_serializes_operations() -> None:
    plan = solve_optimal(one_skilled_person())
    expect_objective(plan, tardiness=1.0)
    assert spans(plan.assignments) == [(0, 60), (60, 120)]
    assert all(a.staff == ["wanda"] for a in plan.assignments)


def test_operation_waits_for_the_next_weekly_window() -> None:
    plan = solve_optimal(weekly_window())
    expect_objective(plan, tardiness=21.0)
    assert spans(plan.assignments) == [(1920, 2220)]


def test_adjacent_windows_join_across_midnight() -> None:
    plan = solve_optimal(night_shift())
    expect_objective(plan, tardiness=25.0)
    assert spans(plan.assignments) == [(1320, 1500)]


def test_repeated_hour_of_a_daylight_saving_change() -> None:
    plan = solve_optimal(fall_back_scenario())
    expect_objective(plan)
    got = {
        o: [(a.start.astimezone(UTC), a.end.astimezone(UTC)) for a in x]
        for o, x in by_order(plan).items()
    }
    assert got == {
        "A": [(datetime(2026, 11, 1, 5, 10, tzinfo=UTC), datetime(2026, 11, 1, 5, 40, tzinfo=UTC))],
        "B": [(datetime(2026, 11, 1, 6, 0, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC))],
    }


def test_checker_compares_instants_in_a_repeated_hour_by_utc() -> None:
    """The same plan with its instants in the zone itself (as a client may build it)."""
    data = fall_back_scenario()
    scenario, result = solve_data(data)
    zone = ZoneInfo(data["timezone"])
    zoned = result.plan.model_copy(
        update={
            "assignments": [
                a.model_copy(
                    update={"start": a.start.astimezone(zone), "end": a.end.astimezone(zone)}
                )
                for a in result.plan.assignments
            ]
        }
    )
    assert_checked(scenario, zoned)


def test_plan_in_a_repeated_hour_survives_a_json_round_trip() -> None:
    _, result = solve_data(fall_back_scenario())
    plan = result.plan
    assert Plan.model_validate_json(plan.model_dump_json()) == plan


def test_closed_period() -> None:
    plan = solve_optimal(holiday())
    expect_objective(plan, tardiness=13.0)
    assert spans(plan.assignments) == [(600, 780)]


def test_machine_downtime() -> None:
    plan = solve_optimal(downtime())
    expect_objective(plan, tardiness=4.5)
    assert spans(plan.assignments) == [(180, 270)]


def test_staff_calendar_narrower_than_machine() -> None:
    plan = solve_optimal(staff_calendar())
    expect_objective(plan, tardiness=9.0)
    [a] = plan.assignments
    assert (minute(a.start), minute(a.end), a.staff) == (480, 540, ["wanda"])


def test_release_date() -> None:
    plan = solve_optimal(release())
    expect_objective(plan, tardiness=1.0)
    assert spans(plan.assignments) == [(600, 660)]


def test_optional_order_that_cannot_end_in_the_horizon_is_rejected() -> None:
    plan = solve_optimal(horizon_end())
    expect_objective(plan, rejection=50.0)
    [decision] = plan.orders
    assert not decision.accepted
    assert decision.priority is None and decision.completion is None
    assert plan.assignments == []


def test_material_waits_for_a_receipt() -> None:
    plan = solve_optimal(material_receipt())
    expect_objective(plan, tardiness=8.0)
    assert spans(plan.assignments) == [(0, 60), (360, 420)]


def test_stock_line_completes_at_release() -> None:
    plan = solve_optimal(stock_at_release())
    expect_objective(plan)
    assert plan.assignments == []
    [decision] = plan.orders
    assert [line.source for line in decision.lines] == ["stock"]
    assert decision.completion is not None and minute(decision.completion) == 600
    assert decision.priority == 1


def test_stock_shared_by_two_orders_serves_one() -> None:
    plan = solve_optimal(stock_shared())
    expect_objective(plan, tardiness=1.0)
    sources = sorted(line.source for o in plan.orders for line in o.lines)
    assert sources == ["production", "stock"]
    assert spans(plan.assignments) == [(0, 60)]


def test_stock_line_is_never_partly_served() -> None:
    plan = solve_optimal(stock_not_partial())
    expect_objective(plan, tardiness=50 / 60)
    [decision] = plan.orders
    assert [line.source for line in decision.lines] == ["production"]
    assert spans(plan.assignments) == [(0, 50)]


def test_stock_line_whose_production_could_never_fit() -> None:
    plan = solve_optimal(stock_when_production_never_fits())
    expect_objective(plan)
    assert plan.assignments == []
    assert [line.source for line in plan.orders[0].lines] == ["stock"]


def test_order_complete_when_its_last_line_is() -> None:
    plan = solve_optimal(two_lines())
    expect_objective(plan, tardiness=1.0)
    [decision] = plan.orders
    assert [line.source for line in decision.lines] == ["stock", "production"]
    assert decision.completion is not None and minute(decision.completion) == 60
    assert [(a.line, minute(a.start), minute(a.end)) for a in plan.assignments] == [(1, 0, 60)]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(1.0, False), (5.0, True)],
    ids=["rejected-when-value-below-tardiness", "kept-when-value-above-tardiness"],
)
def test_optional_order_rejected_only_when_cheaper(value: float, accepted: bool) -> None:
    plan = solve_optimal(optional(value))
    [decision] = plan.orders
    assert decision.accepted is accepted
    if accepted:
        expect_objective(plan, tardiness=2.0)
        assert spans(plan.assignments) == [(0, 120)]
    else:
        expect_objective(plan, rejection=value)
        assert plan.assignments == []


# --- objective terms ------------------------------------------------------------------------


def test_tardiness_weighted_by_tier() -> None:
    plan = solve_optimal(tier_weights())
    expect_objective(plan, tardiness=2.0)
    got = {o: spans(a) for o, a in by_order(plan).items()}
    assert got == {"B": [(0, 60)], "A": [(60, 120)]}
    priority = {o.id: o.priority for o in plan.orders}
    assert priority == {"B": 1, "A": 2}


def test_rejection_term() -> None:
    plan = solve_optimal(rejection_weight())
    expect_objective(plan, rejection=5.0)
    assert {o.id: o.accepted for o in plan.orders} == {"F": True, "O": False}


def test_makespan_term_counts_from_horizon_start() -> None:
    plan = solve_optimal(makespan())
    expect_objective(plan, makespan=3.0)
    assert spans(plan.assignments) == [(120, 180), (120, 180)]
    assert {a.machine for a in plan.assignments} == {"m1", "m2"}


def test_changeover_term_with_weight_two() -> None:
    data = changeover_grouping()
    data["policy"]["weights"]["changeover"] = 2.0
    plan = solve_optimal(data)
    expect_objective(plan, changeover=1.0)


# --- infeasibility --------------------------------------------------------------------------


def test_operation_that_never_fits_is_infeasible_and_named() -> None:
    data = base_scenario(
        calendars={"short": {"weekly": {"tue": [["08:00", "10:00"]], "wed": [["08:00", "10:00"]]}}},
        machines=[{"id": "m1", "calendar": "short"}],
        products=[product("p", operation("bake", {"m1": 180}))],
        orders=[order("SO-9", "p", due=HORIZON_MINUTES)],
    )
    _, result = solve_data(data)
    assert result.status == Status.INFEASIBLE
    assert result.plan.status == Status.INFEASIBLE
    assert result.plan.assignments == []
    text = "\n".join(result.plan.reasons)
    assert "SO-9" in text
    assert "bake" in text


def test_two_firm_orders_competing_for_one_machine_are_named() -> None:
    data = base_scenario(
        products=[product("p", operation("run", {"m1": 1500}))],
        orders=[order("SO-1", "p", due=HORIZON_MINUTES), order("SO-2", "p", due=HORIZON_MINUTES)],
    )
    _, result = solve_data(data)
    assert result.status == Status.INFEASIBLE
    assert result.plan.reasons
    text = "\n".join(result.plan.reasons)
    assert "SO-1" in text
    assert "SO-2" in text


# --- the dispatching heuristic -----------------------------------------------------------------

BUILDERS: dict[str, Callable[[], Data]] = {
    f.__name__: f
    for f in (
        alternative_machines,
        routing_precedence,
        machine_no_overlap,
        changeover_grouping,
        changeover_without_family,
        changeover_delays_due,
        crew_of_two,
        one_skilled_person,
        weekly_window,
        night_shift,
        holiday,
        downtime,
        staff_calendar,
        release,
        horizon_end,
        material_receipt,
        stock_at_release,
        stock_shared,
        stock_not_partial,
        stock_when_production_never_fits,
        two_lines,
        tier_weights,
        rejection_weight,
        makespan,
    )
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_dispatch_plan_is_valid_and_never_better_than_the_optimum(name: str) -> None:
    data = BUILDERS[name]()
    optimum = solve_optimal(data)
    scenario, result = solve_data(data, method="dispatch")
    assert result.status == Status.FEASIBLE
    assert result.plan.method == "dispatch"
    assert_checked(scenario, result.plan)
    assert result.plan.objective.total >= optimum.objective.total - 1e-9
