"""Properties of random small scenarios: every plan passes the checker, the heuristic never
beats a proven optimum, the same seed gives the same plan, plans survive a JSON round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from scenario_kit import HORIZON_MINUTES, Data, assert_checked, solve_data

from engine.check import check_plan
from engine.model import Plan, Scenario, Status
from engine.solve import Result

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    # No shrinking: each step re-solves, and a failure prints its (small) scenario anyway.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SKILLS = ("welding", "painting")
RATES = st.one_of(st.integers(1, 20), st.integers(1, 20), st.integers(60, 240))
"""Minutes per unit: mostly short, sometimes long enough to cross windows and horizon end."""
PLANTS = (
    ("UTC", datetime(2026, 12, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 3, 28, 6, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, tzinfo=UTC)),
)
"""Time zones and horizon starts; the last two horizons cross a daylight-saving change."""
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@pytest.fixture(autouse=True, scope="module")
def _same_examples_in_every_session() -> Iterator[None]:
    """Pin the examples: ``derandomize`` alone does not.

    Hypothesis mixes constants from every loaded local module into its draws, so
    the examples would depend on which test files ran before in the process
    (and, under xdist, on scheduling). Without that pool they depend only on the
    test functions.
    """
    if not hasattr(providers, "_get_local_constants"):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(providers, "_get_local_constants", providers.Constants)
        providers.CONSTANTS_CACHE.cache.clear()
        yield
    providers.CONSTANTS_CACHE.cache.clear()


Instant = Callable[[int], str]
"""Minute of the horizon -> ISO instant."""


@st.composite
def periods(draw: st.DrawFn, at: Instant, most: int) -> list[Data]:
    """Up to ``most`` periods of 30 min to 10 h inside the two-day horizon."""
    out: list[Data] = []
    for _ in range(draw(st.integers(0, most))):
        start = draw(st.integers(0, HORIZON_MINUTES - 60).map(lambda m: m - m % 30))
        length = draw(st.integers(1, 20)) * 30
        out.append({"start": at(start), "end": at(min(start + length, HORIZON_MINUTES))})
    return out


@st.composite
def calendar(draw: st.DrawFn, at: Instant) -> Data:
    """All week, or one window on each of a few days (a night shift joins across midnight)."""
    kind = draw(st.sampled_from(["all", "day", "night"]))
    if kind == "all":
        weekly: Any = "all"
    elif kind == "day":
        frm = draw(st.integers(0, 24)) * 30
        to = frm + draw(st.integers(8, 24)) * 30
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
        weekly = {d: [[_clock(frm), _clock(to) if to < 1440 else "24:00"]] for d in days}
    else:
        frm = draw(st.integers(18, 22)) * 60
        to = draw(st.integers(2, 6)) * 60
        weekly = {
            "mon": [[_clock(frm), "24:00"]],
            "tue": [["00:00", _clock(to)], [_clock(frm), "24:00"]],
        }
        weekly["wed"] = [["00:00", _clock(to)], [_clock(frm), "24:00"]]
        weekly["thu"] = [["00:00", _clock(to)]]
    out: Data = {"weekly": weekly}
    closed = draw(periods(at, 1))
    if closed:
        out["closed"] = closed
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> Data:
    """A small valid scenario touching every rule family."""
    zone, origin = draw(st.sampled_from(PLANTS))

    def at(minute: int) -> str:
        return (origin + timedelta(minutes=minute)).isoformat()

    calendars = {f"cal{i}": draw(calendar(at)) for i in range(draw(st.integers(0, 2)))}
    calendar_names = ["always", *calendars]

    machines: list[Data] = []
    for i in range(draw(st.integers(1, 4))):
        machine: Data = {"id": f"m{i}", "calendar": draw(st.sampled_from(calendar_names))}
        if draw(st.booleans()):
            machine["changeover"] = draw(st.integers(1, 60))
        downtime = draw(periods(at, 1))
        if downtime:
            machine["downtime"] = downtime
        machines.append(machine)
    machine_ids = [m["id"] for m in machines]

    staff: list[Data] = []
    for i in range(draw(st.integers(0, 4))):
        skills = draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True))
        staff.append(
            {"id": f"s{i}", "skills": skills, "calendar": draw(st.sampled_from(calendar_names))}
        )
    holders = {skill: sum(skill in p["skills"] for p in staff) for skill in SKILLS}
    held = [skill for skill in SKILLS if holders[skill]]

    materials: list[Data] = []
    for i in range(draw(st.integers(0, 2))):
        receipts = [
            {
                "at": at(draw(st.integers(0, HORIZON_MINUTES - 1))),
                "quantity": draw(st.integers(1, 30)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
        materials.append({"id": f"x{i}", "on_hand": draw(st.integers(0, 30)), "receipts": receipts})

    products: list[Data] = []
    for i in range(draw(st.integers(1, 3))):
        routing: list[Data] = []
        for k in range(draw(st.integers(1, 3))):
            eligible = draw(
                st.lists(st.sampled_from(machine_ids), min_size=1, max_size=2, unique=True)
            )
            op: Data = {
                "id": f"op{k}",
                "machines": {m: draw(RATES) for m in eligible},
                "setup": draw(st.sampled_from([0, 0, 10, 30])),
            }
            family = draw(st.sampled_from([None, "x", "y"]))
            if family is not None:
                op["setup_family"] = family
            wants_skill: bool = draw(st.booleans())
            if held and wants_skill:
                skill = draw(st.sampled_from(held))
                op["skill"] = skill
                op["crew"] = draw(st.integers(1, min(2, holders[skill])))
            routing.append(op)
        item: Data = {"id": f"p{i}", "routing": routing}
        wants_materials: bool = draw(st.booleans())
        if materials and wants_materials:
            used = draw(
                st.lists(st.sampled_from([m["id"] for m in materials]), min_size=1, unique=True)
            )
            item["materials"] = {m: draw(st.integers(1, 5)) for m in used}
        products.append(item)
    product_ids = [p["id"] for p in products]

    stock = {
        p: draw(st.integers(1, 6))
        for p in draw(st.lists(st.sampled_from(product_ids), unique=True))
    }

    orders: list[Data] = []
    for i in range(draw(st.integers(1, 5))):
        lines = [
            {"product": draw(st.sampled_from(product_ids)), "quantity": draw(st.integers(1, 4))}
            for _ in range(draw(st.sampled_from([1, 1, 1, 2])))
        ]
        entry: Data = {
            "id": f"o{i}",
            "customer": draw(st.sampled_from(["c", "k"])),
            "lines": lines,
            "due": at(draw(st.integers(0, HORIZON_MINUTES))),
        }
        if draw(st.booleans()):
            entry["release"] = at(draw(st.integers(0, HORIZON_MINUTES - 1)))
        if draw(st.booleans()):
            entry["firm"] = False
            entry["value"] = float(draw(st.integers(0, 40)))
        orders.append(entry)

    weight = st.sampled_from([0.0, 0.5, 1.0, 2.0])
    return {
        "version": 1,
        "name": "random",
        "timezone": zone,
        "horizon": {"start": at(0), "end": at(HORIZON_MINUTES)},
        "calendars": calendars,
        "machines": machines,
        "staff": staff,
        "products": products,
        "materials": materials,
        "stock": stock,
        "customers": [{"id": "c"}, {"id": "k", "tier": "key"}],
        "orders": orders,
        "policy": {
            "tier_weights": {"standard": 1, "key": float(draw(st.integers(1, 5)))},
            "weights": {
                "tardiness": draw(weight),
                "rejection": draw(weight),
                "makespan": draw(weight),
                "changeover": draw(weight),
            },
        },
    }


def _solve(data: Data, method: str = "cp") -> tuple[Scenario, Result]:
    return solve_data(data, method=method, time_limit=3.0, workers=1, seed=0)


def _same(a: Plan, b: Plan) -> bool:
    return a.model_dump(exclude={"solve_seconds"}) == b.model_dump(exclude={"solve_seconds"})


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_plan_passes_the_checker_and_dispatch_never_beats_the_optimum(data: Data) -> None:
    scenario, result = _solve(data)
    if result.status in (Status.INFEASIBLE, Status.UNKNOWN):
        assert result.plan.reasons
        assert not result.plan.assignments
        if result.status == Status.INFEASIBLE:
            # Proven infeasible: no plan can pass the checker, the heuristic's included.
            _, heuristic = _solve(data, "dispatch")
            if heuristic.status == Status.FEASIBLE:
                report = check_plan(scenario, heuristic.plan)
                assert not report.ok, (
                    f"infeasible, yet dispatch found a valid plan: {result.reasons}"
                )
        return
    assert_checked(scenario, result.plan)
    bound = result.plan.bound
    assert bound is None or bound <= result.plan.objective.total + 1e-9
    if result.status != Status.OPTIMAL:
        return
    optimum = result.plan.objective.total
    _, heuristic = _solve(data, "dispatch")
    if heuristic.status == Status.FEASIBLE:
        assert_checked(scenario, heuristic.plan)
        assert heuristic.plan.objective.total >= optimum - 1e-9


@settings(PROPERTY_SETTINGS, max_examples=10)
@given(scenarios())
def test_same_seed_same_plan(data: Data) -> None:
    _, first = _solve(data)
    _, second = _solve(data)
    assert first.status == second.status
    if first.status == Status.OPTIMAL:
        # The search was not cut by time, so one worker and one seed give one plan.
        assert _same(first.plan, second.plan)
        assert first.plan.objective == second.plan.objective


@settings(PROPERTY_SETTINGS, max_examples=15)
@given(scenarios(), st.sampled_from(["cp", "dispatch"]))
def test_plan_json_round_trip(data: Data, method: str) -> None:
    _, result = _solve(data, method)
    plan = result.plan
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
