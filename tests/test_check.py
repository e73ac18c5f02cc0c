"""Tests of the independent plan checker: valid plans pass, each broken rule is reported."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from engine import check
from engine.check import RULES, TERMS, CheckReport, Violation, check_plan
from engine.io import load_plan, load_scenario, scenario_from_data
from engine.model import Plan, Scenario

DATA = Path(__file__).parent / "data"

Data = dict[str, Any]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _z(text: str) -> str:
    """An instant in UTC on 2026-06-01 (a Monday) or later: ``_z("1 08:00")``."""
    day, clock = text.split()
    return f"2026-06-{int(day):02d}T{clock}:00+00:00"


# A plant with a bit of everything: two saws with a changeover, a bench on a day calendar with
# a holiday, staff with skills, a material with a receipt, finished stock, tiers, an optional order.
BASE_SCENARIO: Data = {
    "version": 1,
    "name": "check base",
    "timezone": "UTC",
    "horizon": {"start": _z("1 00:00"), "end": _z("8 00:00")},
    "calendars": {
        "day": {
            "weekly": {d: [["08:00", "16:00"]] for d in WEEKDAYS},
            "closed": [{"start": _z("3 00:00"), "end": _z("4 00:00"), "reason": "holiday"}],
        }
    },
    "machines": [
        {
            "id": "saw-1",
            "changeover": 30,
            "downtime": [{"start": _z("1 20:00"), "end": _z("1 22:00"), "reason": "blade change"}],
        },
        {"id": "saw-2"},
        {"id": "bench-1", "calendar": "day"},
    ],
    "staff": [
        {"id": "anna", "skills": ["sawing", "assembly"]},
        {"id": "ben", "skills": ["assembly"]},
        {"id": "chris", "skills": ["sawing"], "calendar": "day"},
    ],
    "products": [
        {
            "id": "table",
            "routing": [
                {
                    "id": "cut",
                    "machines": {"saw-1": 10, "saw-2": 12},
                    "setup": 20,
                    "setup_family": "oak",
                    "skill": "sawing",
                },
                {"id": "assemble", "machines": {"bench-1": 20}, "skill": "assembly", "crew": 2},
            ],
            "materials": {"board": 4},
        },
        {
            "id": "chair",
            "routing": [
                {
                    "id": "cut",
                    "machines": {"saw-1": 5, "saw-2": 5},
                    "setup_family": "pine",
                    "skill": "sawing",
                }
            ],
            "materials": {"board": 1},
        },
    ],
    "materials": [
        {"id": "board", "on_hand": 16, "receipts": [{"at": _z("1 02:00"), "quantity": 100}]}
    ],
    "stock": {"chair": 3},
    "customers": [{"id": "acme", "tier": "key"}, {"id": "bob"}],
    "orders": [
        {
            "id": "O1",
            "customer": "acme",
            "lines": [{"product": "table", "quantity": 4}],
            "due": _z("1 09:00"),
        },
        {
            "id": "O2",
            "customer": "bob",
            "lines": [{"product": "chair", "quantity": 2}, {"product": "chair", "quantity": 5}],
            "due": _z("1 02:00"),
            "release": _z("1 01:00"),
        },
        {
            "id": "O3",
            "customer": "bob",
            "lines": [{"product": "table", "quantity": 1}],
            "due": _z("2 00:00"),
            "value": 500,
            "firm": False,
        },
    ],
    "policy": {
        "tier_weights": {"key": 3},
        "weights": {"tardiness": 1, "rejection": 1, "makespan": 0.5, "changeover": 2},
    },
}

# O1 is 20 min late (tier key, weight 3), O2 25 min (standard, weight 1); O3 is rejected (500);
# the last operation ends at 09:20 (makespan 28/3 h x 0.5); saw-1 changes oak -> pine (30 min x 2).
EXPECTED = {
    "tardiness": Fraction(3 * 20 + 25, 60),
    "rejection": Fraction(500),
    "makespan": Fraction(1, 2) * Fraction(560, 60),
    "changeover": 2 * Fraction(30, 60),
}
EXPECTED["stability"] = Fraction(0)
EXPECTED["total"] = sum(EXPECTED.values(), Fraction(0))

BASE_PLAN: Data = {
    "scenario": "check base",
    "status": "optimal",
    "objective": {name: float(value) for name, value in EXPECTED.items()},
    "bound": float(EXPECTED["total"]),
    "solve_seconds": 0.1,
    "orders": [
        {
            "id": "O1",
            "accepted": True,
            "priority": 2,
            "completion": _z("1 09:20"),
            "tardiness_minutes": 20,
            "lines": [{"product": "table", "quantity": 4, "source": "production"}],
        },
        {
            "id": "O2",
            "accepted": True,
            "priority": 1,
            "completion": _z("1 02:25"),
            "tardiness_minutes": 25,
            "lines": [
                {"product": "chair", "quantity": 2, "source": "stock"},
                {"product": "chair", "quantity": 5, "source": "production"},
            ],
        },
        {"id": "O3", "accepted": False},
    ],
    "assignments": [
        {
            "order": "O1",
            "line": 0,
            "operation": "cut",
            "machine": "saw-1",
            "staff": ["anna"],
            "start": _z("1 00:00"),
            "end": _z("1 01:00"),
        },
        {
            "order": "O1",
            "line": 0,
            "operation": "assemble",
            "machine": "bench-1",
            "staff": ["anna", "ben"],
            "start": _z("1 08:00"),
            "end": _z("1 09:20"),
        },
        {
            "order": "O2",
            "line": 1,
            "operation": "cut",
            "machine": "saw-1",
            "staff": ["anna"],
            "start": _z("1 02:00"),
            "end": _z("1 02:25"),
        },
    ],
}


@pytest.fixture(scope="module")
def base() -> Scenario:
    return scenario_from_data(BASE_SCENARIO)


def _asg(plan: Data, order: str, line: int, op: str) -> Data:
    return next(
        a
        for a in plan["assignments"]
        if (a["order"], a["line"], a["operation"]) == (order, line, op)
    )


def _order(plan: Data, order: str) -> Data:
    return next(o for o in plan["orders"] if o["id"] == order)


def _move(plan: Data, key: tuple[str, int, str], start: str, end: str, **extra: Any) -> None:
    a = _asg(plan, *key)
    a.update(start=_z(start), end=_z(end), **extra)


O1_CUT = ("O1", 0, "cut")
O1_ASM = ("O1", 0, "assemble")
O2_CUT = ("O2", 1, "cut")


def _set(path: str, value: Any) -> Callable[[Data], None]:
    """Set ``order.field`` (an order entry) or ``field`` (the plan root)."""

    def mutate(plan: Data) -> None:
        if "." in path:
            order, field = path.split(".")
            _order(plan, order)[field] = value
        else:
            plan[path] = value

    return mutate


def _do(fn: Callable[[Data], Any]) -> Callable[[Data], None]:
    def mutate(plan: Data) -> None:
        fn(plan)

    return mutate


def _stock_line_without_assignment(plan: Data) -> None:
    _order(plan, "O2")["lines"][1]["source"] = "stock"
    plan["assignments"].remove(_asg(plan, *O2_CUT))


def _reject_firm(plan: Data) -> None:
    plan["orders"][0] = {"id": "O1", "accepted": False}


def _assign_rejected(plan: Data) -> None:
    extra = dict(_asg(plan, *O1_CUT), order="O3", machine="saw-2", start=_z("2 00:00"))
    plan["assignments"].append(dict(extra, end=_z("2 00:32")))


def _bump(term: str) -> Callable[[Data], None]:
    def mutate(plan: Data) -> None:
        plan["objective"][term] += 1

    return mutate


# (case id, mutation, the rule it must break)
MUTATIONS: list[tuple[str, Callable[[Data], None], str]] = [
    ("bad-status", _set("status", "done"), "schema"),
    ("no-scenario-name", _do(lambda p: p.pop("scenario")), "schema"),
    ("other-scenario", _set("scenario", "another plant"), "schema"),
    ("naive-start", _do(lambda p: _asg(p, *O1_CUT).update(start="2026-06-01T00:00:00")), "schema"),
    (
        "off-grid",
        _do(lambda p: _asg(p, *O1_CUT).update(end=_z("1 01:00")[:17] + "30+00:00")),
        "schema",
    ),
    ("order-missing", _do(lambda p: p["orders"].pop(0)), "orders"),
    ("order-twice", _do(lambda p: p["orders"].append(copy.deepcopy(p["orders"][1]))), "orders"),
    ("order-unknown", _do(lambda p: p["orders"].append({"id": "O9", "accepted": False})), "orders"),
    ("order-due-echo", _set("O1.due", _z("1 10:00")), "orders"),
    ("line-quantity", _do(lambda p: _order(p, "O1")["lines"][0].update(quantity=5)), "lines"),
    ("line-product", _do(lambda p: _order(p, "O1")["lines"][0].update(product="chair")), "lines"),
    ("line-missing", _do(lambda p: _order(p, "O2")["lines"].pop(1)), "lines"),
    ("op-missing", _do(lambda p: p["assignments"].remove(_asg(p, *O1_ASM))), "assignment"),
    ("op-twice", _do(lambda p: p["assignments"].append(dict(_asg(p, *O2_CUT)))), "assignment"),
    ("op-unknown", _do(lambda p: _asg(p, *O2_CUT).update(operation="paint")), "assignment"),
    ("line-index", _do(lambda p: _asg(p, *O2_CUT).update(line=7)), "assignment"),
    ("order-index", _do(lambda p: _asg(p, *O2_CUT).update(order="O9")), "assignment"),
    ("machine-ineligible", _do(lambda p: _asg(p, *O1_ASM).update(machine="saw-2")), "machine"),
    ("machine-unknown", _do(lambda p: _asg(p, *O1_CUT).update(machine="saw-9")), "machine"),
    ("duration-long", _do(lambda p: _asg(p, *O1_CUT).update(end=_z("1 01:05"))), "duration"),
    ("duration-rate", _do(lambda p: _asg(p, *O1_CUT).update(machine="saw-2")), "duration"),
    ("release", _do(lambda p: _move(p, O2_CUT, "1 00:30", "1 00:55", machine="saw-2")), "release"),
    (
        "horizon-start",
        _do(
            lambda p: _asg(p, *O1_CUT).update(start="2026-05-31T23:00:00+00:00", end=_z("1 00:00"))
        ),
        "horizon",
    ),
    ("horizon-end", _do(lambda p: _move(p, O1_ASM, "7 23:00", "8 00:20")), "horizon"),
    (
        "precedence",
        _do(lambda p: _move(p, O1_CUT, "1 08:30", "1 09:30", staff=["chris"])),
        "precedence",
    ),
    ("calendar-weekly", _do(lambda p: _move(p, O1_ASM, "1 07:00", "1 08:20")), "calendar"),
    ("calendar-closed", _do(lambda p: _move(p, O1_ASM, "3 08:00", "3 09:20")), "calendar"),
    ("calendar-downtime", _do(lambda p: _move(p, O2_CUT, "1 20:30", "1 20:55")), "calendar"),
    ("calendar-person", _do(lambda p: _asg(p, *O2_CUT).update(staff=["chris"])), "calendar"),
    (
        "machine-overlap",
        _do(lambda p: _move(p, O2_CUT, "1 00:30", "1 00:55")),
        "no_overlap_machine",
    ),
    (
        "staff-overlap",
        _do(lambda p: _move(p, O2_CUT, "1 08:30", "1 08:55", machine="saw-2")),
        "no_overlap_staff",
    ),
    ("skill", _do(lambda p: _asg(p, *O2_CUT).update(staff=["ben"])), "skill"),
    ("crew-short", _do(lambda p: _asg(p, *O1_ASM).update(staff=["anna"])), "crew"),
    ("crew-twice", _do(lambda p: _asg(p, *O1_ASM).update(staff=["anna", "anna"])), "crew"),
    ("crew-unknown", _do(lambda p: _asg(p, *O1_ASM).update(staff=["anna", "zed"])), "crew"),
    ("crew-none", _do(lambda p: _asg(p, *O2_CUT).update(staff=[])), "crew"),
    ("changeover", _do(lambda p: _move(p, O2_CUT, "1 01:10", "1 01:35")), "changeover"),
    (
        "material",
        _do(lambda p: _move(p, O2_CUT, "1 01:40", "1 02:05", machine="saw-2")),
        "material",
    ),
    ("stock-short", _stock_line_without_assignment, "stock"),
    (
        "stock-with-op",
        _do(lambda p: _order(p, "O2")["lines"][1].update(source="stock")),
        "stock",
    ),
    ("reject-firm", _reject_firm, "rejection"),
    ("rejected-priority", _set("O3.priority", 3), "rejection"),
    ("rejected-assignment", _assign_rejected, "rejection"),
    (
        "priority-swap",
        _do(lambda p: [_order(p, "O1").update(priority=1), _order(p, "O2").update(priority=2)]),
        "priority",
    ),
    ("priority-range", _set("O1.priority", 3), "priority"),
    ("priority-none", _set("O1.priority", None), "priority"),
    ("completion", _set("O1.completion", _z("1 09:30")), "completion"),
    ("completion-stock-line", _set("O2.completion", _z("1 01:00")), "completion"),
    ("completion-none", _set("O1.completion", None), "completion"),
    ("tardiness", _set("O1.tardiness_minutes", 0), "tardiness"),
    *(
        (
            f"objective-{term}",
            _bump(term),
            "objective",
        )
        for term in TERMS
    ),
    ("bound-above-total", _set("bound", 600.0), "objective"),
]


def test_base_plan_passes_with_exact_objective(base: Scenario) -> None:
    report = check_plan(base, Plan.model_validate(BASE_PLAN))
    assert report.violations == []
    assert report.ok
    assert report.objective == {name: float(EXPECTED[name]) for name in TERMS}


def test_mapping_plan_is_validated(base: Scenario) -> None:
    assert check_plan(base, copy.deepcopy(BASE_PLAN)).ok


def test_format_example_plan_passes() -> None:
    scenario = load_scenario(DATA / "format_example.yaml")
    report = check_plan(scenario, load_plan(DATA / "check_format_example_plan.json"))
    assert report.violations == []
    assert report.objective == dict.fromkeys(TERMS, 0.0)


@pytest.mark.parametrize(
    ("mutate", "rule"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_broken_rule_is_reported(base: Scenario, mutate: Callable[[Data], None], rule: str) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    mutate(plan)
    report = check_plan(base, plan)
    assert rule in RULES
    assert not report.ok
    assert rule in {v.rule for v in report.violations}, [str(v) for v in report.violations]
    assert all(v.rule in RULES and v.message for v in report.violations)


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (_do(lambda p: _asg(p, *O1_CUT).update(end=_z("1 01:05"))), "duration"),
        (_do(lambda p: _asg(p, *O2_CUT).update(staff=["ben"])), "skill"),
        (_set("O1.tardiness_minutes", 0), "tardiness"),
        (_set("O1.completion", _z("1 09:30")), "completion"),
        (_set("bound", 600.0), "objective"),
        (_do(lambda p: _asg(p, *O1_ASM).update(staff=["anna"])), "crew"),
    ],
)
def test_isolated_break_reports_only_its_rule(
    base: Scenario, mutate: Callable[[Data], None], rule: str
) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    mutate(plan)
    assert {v.rule for v in check_plan(base, plan).violations} == {rule}


def test_all_violations_are_reported_not_only_the_first(base: Scenario) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    _asg(plan, *O2_CUT)["staff"] = ["ben"]
    _asg(plan, *O1_CUT)["end"] = _z("1 01:05")
    _order(plan, "O1")["tardiness_minutes"] = 0
    rules = [v.rule for v in check_plan(base, plan).violations]
    assert sorted(rules) == ["duration", "skill", "tardiness"]


def test_messages_name_entities_and_instants(base: Scenario) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    _move(plan, O2_CUT, "1 20:30", "1 20:55")
    [violation] = [v for v in check_plan(base, plan).violations if v.rule == "calendar"]
    assert "O2 line 1 op cut on saw-1 [2026-06-01T20:30+00:00" in violation.message
    assert "downtime 'blade change' of saw-1" in violation.message
    assert str(violation).startswith("[calendar] ")


def test_recomputed_objective_reports_both_values(base: Scenario) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    plan["objective"]["makespan"] = 1.0
    messages = [v.message for v in check_plan(base, plan).violations]
    assert any("makespan" in m and "1.0" in m and "4.66" in m for m in messages)


def test_objective_tolerance(base: Scenario) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    plan["objective"]["total"] += 5e-7
    assert check_plan(base, plan).ok


def test_schema_violation_instead_of_exception(base: Scenario) -> None:
    report = check_plan(base, {"status": "optimal", "assignments": [{"order": "O1"}]})
    assert not report.ok
    assert {v.rule for v in report.violations} == {"schema"}
    assert report.objective == dict.fromkeys(TERMS, 0.0)


@pytest.mark.parametrize("status", ["infeasible", "unknown"])
def test_plan_without_answer_passes(base: Scenario, status: str) -> None:
    plan = {"scenario": "check base", "status": status, "reasons": ["no room"]}
    report = check_plan(base, plan)
    assert report == CheckReport([], dict.fromkeys(TERMS, 0.0))


def test_infeasible_plan_with_assignments_is_checked(base: Scenario) -> None:
    plan = copy.deepcopy(BASE_PLAN)
    plan["status"] = "infeasible"
    assert check_plan(base, plan).ok
    _asg(plan, *O2_CUT)["staff"] = ["ben"]
    assert [v.rule for v in check_plan(base, plan).violations] == ["skill"]


def test_same_family_needs_no_changeover(base: Scenario) -> None:
    data = copy.deepcopy(BASE_SCENARIO)
    data["products"][1]["routing"][0]["setup_family"] = "oak"
    data["materials"][0]["on_hand"] = 21
    plan = copy.deepcopy(BASE_PLAN)
    _move(plan, O2_CUT, "1 01:00", "1 01:25")
    _order(plan, "O2").update(completion=_z("1 01:25"), tardiness_minutes=0)
    tardiness = Fraction(3 * 20, 60)
    total = tardiness + EXPECTED["rejection"] + EXPECTED["makespan"]
    plan["objective"].update(changeover=0.0, tardiness=float(tardiness), total=float(total))
    plan["bound"] = None
    report = check_plan(scenario_from_data(data), plan)
    assert report.violations == []
    assert report.objective["changeover"] == 0.0


def test_checker_is_independent_of_the_engine() -> None:
    tree = ast.parse(Path(check.__file__).read_text(encoding="utf-8"))
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    forbidden = ("ortools", "engine.timegrid", "engine.build", "engine.solve", "engine.dispatch")
    assert not [m for m in modules if m.startswith(forbidden)]


def test_violation_str() -> None:
    assert str(Violation("crew", "SO-1 needs 2")) == "[crew] SO-1 needs 2"


# --- calendars: one operation on one machine ------------------------------------------------


def _one_op(
    weekly: Any,
    start: str,
    minutes: int,
    *,
    timezone: str = "Europe/Berlin",
    closed: list[Data] | None = None,
    calendar_name: str = "cal",
) -> tuple[Scenario, Data]:
    """A scenario with one operation of ``minutes`` on machine ``m`` and the plan running it."""
    begin = datetime.fromisoformat(start)
    finish = begin + timedelta(minutes=minutes)
    h0, h1 = begin - timedelta(days=7), begin + timedelta(days=7)
    scenario = scenario_from_data(
        {
            "name": "one op",
            "timezone": timezone,
            "horizon": {"start": h0.isoformat(), "end": h1.isoformat()},
            "calendars": {calendar_name: {"weekly": weekly, "closed": closed or []}},
            "machines": [{"id": "m", "calendar": calendar_name}],
            "products": [{"id": "p", "routing": [{"id": "run", "machines": {"m": 1}}]}],
            "customers": [{"id": "c"}],
            "orders": [
                {
                    "id": "SO-1",
                    "customer": "c",
                    "lines": [{"product": "p", "quantity": minutes}],
                    "due": h1.isoformat(),
                }
            ],
        }
    )
    plan = {
        "scenario": "one op",
        "status": "feasible",
        "orders": [
            {
                "id": "SO-1",
                "accepted": True,
                "priority": 1,
                "completion": finish.isoformat(),
                "tardiness_minutes": 0,
                "lines": [{"product": "p", "quantity": minutes, "source": "production"}],
            }
        ],
        "assignments": [
            {
                "order": "SO-1",
                "line": 0,
                "operation": "run",
                "machine": "m",
                "start": begin.isoformat(),
                "end": finish.isoformat(),
            }
        ],
    }
    return scenario, plan


def _calendar_rules(scenario: Scenario, plan: Data) -> set[str]:
    return {v.rule for v in check_plan(scenario, plan).violations}


DAY_SHIFT = {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.mark.parametrize(
    ("weekly", "start", "minutes", "fits"),
    [
        # Spring forward, Berlin 2026-03-29 02:00 CET -> 03:00 CEST: the night is an hour short.
        ({"sun": [["00:00", "06:00"]]}, "2026-03-29T00:00:00+01:00", 300, True),
        ({"sun": [["00:00", "06:00"]]}, "2026-03-29T00:00:00+01:00", 301, False),
        (DAY_SHIFT, "2026-03-29T05:00:00+01:00", 60, True),  # 06:00 CEST, written in CET
        (DAY_SHIFT, "2026-03-29T04:30:00+01:00", 60, False),  # 05:30 CEST
        (DAY_SHIFT, "2026-03-29T21:00:00+02:00", 60, True),
        (DAY_SHIFT, "2026-03-29T21:00:00+02:00", 61, False),
        (DAY_SHIFT, "2026-03-28T05:00:00+00:00", 60, True),  # Saturday, still CET
        (DAY_SHIFT, "2026-03-29T04:00:00+00:00", 60, True),  # Sunday 06:00 CEST
        (DAY_SHIFT, "2026-03-29T04:00:00+00:00", 16 * 60, True),
        (DAY_SHIFT, "2026-03-29T04:00:00+00:00", 16 * 60 + 1, False),
        # A window bound inside the skipped hour opens when the clock reaches it (03:00 CEST).
        ({"sun": [["02:30", "06:00"]]}, "2026-03-29T01:00:00+00:00", 180, True),
        ({"sun": [["02:30", "06:00"]]}, "2026-03-29T00:59:00+00:00", 60, False),
        # Fall back, Berlin 2026-10-25 03:00 CEST -> 02:00 CET: the night is an hour long.
        ({"sun": [["00:00", "06:00"]]}, "2026-10-25T00:00:00+02:00", 420, True),
        ({"sun": [["00:00", "06:00"]]}, "2026-10-25T00:00:00+02:00", 421, False),
        (DAY_SHIFT, "2026-10-25T06:00:00+01:00", 16 * 60, True),
        (DAY_SHIFT, "2026-10-25T05:00:00+00:00", 60, True),
        (DAY_SHIFT, "2026-10-25T04:59:00+00:00", 60, False),
    ],
)
def test_daylight_saving(weekly: Data, start: str, minutes: int, fits: bool) -> None:
    scenario, plan = _one_op(weekly, start, minutes)
    assert _calendar_rules(scenario, plan) == (set() if fits else {"calendar"})


NIGHT = {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]}


@pytest.mark.parametrize(
    ("weekly", "start", "minutes", "fits"),
    [
        (NIGHT, "2026-06-01T23:00:00+02:00", 120, True),  # mon 23:00 -> tue 01:00
        (NIGHT, "2026-06-01T22:00:00+02:00", 480, True),  # the whole night
        (NIGHT, "2026-06-01T22:00:00+02:00", 481, False),
        (NIGHT, "2026-06-01T21:00:00+02:00", 120, False),
        (NIGHT, "2026-06-02T05:00:00+02:00", 120, False),
        (NIGHT, "2026-06-02T22:00:00+02:00", 60, False),  # tuesday night is not a shift
        ({"mon": [["22:00", "24:00"]]}, "2026-06-01T23:00:00+02:00", 120, False),
        # Sunday night into Monday wraps around the week.
        (
            {"sun": [["22:00", "24:00"]], "mon": [["00:00", "06:00"]]},
            "2026-06-07T23:00:00+02:00",
            120,
            True,
        ),
        # Touching and overlapping windows on one day join; a gap splits.
        ({"mon": [["06:00", "14:00"], ["14:00", "22:00"]]}, "2026-06-01T13:00:00+02:00", 120, True),
        ({"mon": [["06:00", "15:00"], ["14:00", "22:00"]]}, "2026-06-01T13:00:00+02:00", 120, True),
        (
            {"mon": [["06:00", "14:00"], ["14:30", "22:00"]]},
            "2026-06-01T13:00:00+02:00",
            120,
            False,
        ),
        ("all", "2026-06-01T23:00:00+02:00", 3000, True),
    ],
)
def test_night_shift_and_joined_windows(weekly: Any, start: str, minutes: int, fits: bool) -> None:
    scenario, plan = _one_op(weekly, start, minutes)
    assert _calendar_rules(scenario, plan) == (set() if fits else {"calendar"})


@pytest.mark.parametrize(
    ("start", "fits"), [("2026-06-01T11:00:00+00:00", False), ("2026-06-01T13:00:00+00:00", True)]
)
def test_closed_period_splits_working_time(start: str, fits: bool) -> None:
    closed = [{"start": "2026-06-01T12:00:00+00:00", "end": "2026-06-01T13:00:00+00:00"}]
    scenario, plan = _one_op("all", start, 90, timezone="UTC", closed=closed)
    assert _calendar_rules(scenario, plan) == (set() if fits else {"calendar"})


def test_scenario_may_redefine_always() -> None:
    scenario, plan = _one_op(
        {"mon": [["08:00", "16:00"]]},
        "2026-06-01T07:00:00+00:00",
        60,
        timezone="UTC",
        calendar_name="always",
    )
    assert _calendar_rules(scenario, plan) == {"calendar"}
