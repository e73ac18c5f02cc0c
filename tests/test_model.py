"""The domain model: round trips, immutability, lookups and the JSON schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from engine.io import (
    ScenarioError,
    dump_plan,
    dump_scenario,
    load_plan,
    load_scenario,
    loads_scenario,
    scenario_from_data,
)
from engine.model import (
    ALWAYS,
    Assignment,
    Calendar,
    Objective,
    Operation,
    Plan,
    PlanLine,
    PlanOrder,
    Policy,
    Scenario,
    Status,
)

EXAMPLE = Path(__file__).parent / "data" / "format_example.yaml"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(EXAMPLE)


def test_example_loads(scenario: Scenario) -> None:
    assert scenario.version == 1
    assert scenario.timezone == "Europe/Berlin"
    assert [m.id for m in scenario.machines] == ["saw-1", "saw-2", "bench-1"]
    assert scenario.orders[0].lines[0].quantity == 10
    assert scenario.horizon.start == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_json_round_trip(scenario: Scenario) -> None:
    text = json.dumps(dump_scenario(scenario))
    again = scenario_from_data(json.loads(text))
    assert again == scenario
    assert loads_scenario(text) == scenario
    assert dump_scenario(again) == dump_scenario(scenario)


def test_dump_keeps_offsets_and_leaves_out_defaults(scenario: Scenario) -> None:
    data = dump_scenario(scenario)
    assert data["horizon"]["start"] == "2026-12-01T06:00:00+01:00"
    assert data["orders"][0]["release"] == "2026-12-02T06:00:00+01:00"
    assert "setup" not in data["products"][0]["routing"][1]
    assert "calendar" not in data["machines"][2]
    assert data["version"] == 1


def test_round_trip_of_a_minimal_scenario() -> None:
    data: dict[str, Any] = {
        "name": "tiny",
        "horizon": {"start": "2026-01-05T00:00:00Z", "end": "2026-01-06T00:00:00Z"},
        "machines": [{"id": "m"}],
        "products": [{"id": "p", "routing": [{"id": "op", "machines": {"m": 5}}]}],
    }
    scenario = scenario_from_data(data)
    assert scenario.calendar("always") == ALWAYS
    assert scenario_from_data(json.loads(json.dumps(dump_scenario(scenario)))) == scenario


def test_lookups_do_not_break_equality(scenario: Scenario) -> None:
    other = load_scenario(EXAMPLE)
    assert scenario.machine_by_id["saw-2"].changeover == 45
    assert scenario == other


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        ("scenario", "name", "renamed"),
        ("machine", "changeover", 0),
        ("operation", "setup", 0),
        ("order", "firm", False),
        ("line", "quantity", 1),
        ("policy", "tier_weights", {}),
        ("calendar", "weekly", "all"),
        ("horizon", "end", datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_models_are_frozen(scenario: Scenario, obj: str, field: str, value: Any) -> None:
    target = {
        "scenario": scenario,
        "machine": scenario.machines[0],
        "operation": scenario.products[0].routing[0],
        "order": scenario.orders[0],
        "line": scenario.orders[0].lines[0],
        "policy": scenario.policy,
        "calendar": scenario.calendars["two-shift"],
        "horizon": scenario.horizon,
    }[obj]
    with pytest.raises(ValidationError, match="frozen"):
        setattr(target, field, value)


def test_plan_models_are_frozen() -> None:
    plan = Plan(scenario="x", status=Status.OPTIMAL)
    with pytest.raises(ValidationError, match="frozen"):
        plan.status = Status.INFEASIBLE  # type: ignore[misc]


def test_lookups(scenario: Scenario) -> None:
    assert scenario.machine_by_id["saw-1"].calendar == "two-shift"
    assert scenario.product_by_id["oak-table"].materials == {"oak-board": 4, "screws": 16}
    assert scenario.material_by_id["screws"].on_hand == 1000
    assert scenario.customer_by_id["nordhaus"].tier == "strategic"
    assert scenario.order_by_id["SO-1001"].value == 12000
    assert scenario.staff_by_id["chris"].calendar == "always"
    assert [s.id for s in scenario.staff_with_skill("assembly")] == ["anna", "ben"]
    assert scenario.staff_with_skill("welding") == []
    assert scenario.calendar("two-shift").weekly != "all"
    assert scenario.calendar("always") == Calendar(weekly="all")
    with pytest.raises(KeyError):
        scenario.calendar("nights")
    assert scenario.tier_weight(scenario.orders[0]) == 10
    assert str(scenario.zone) == "Europe/Berlin"


def test_operation_crew_and_duration(scenario: Scenario) -> None:
    cut, assemble = scenario.products[0].routing
    assert cut.crew_size == 1
    assert assemble.crew_size == 2
    assert cut.duration("saw-2", 10) == 20 + 10 * 15
    assert assemble.duration("bench-1", 10) == 250
    assert Operation(id="a", machines={"m": 1}).crew_size == 0
    assert Operation(id="a", machines={"m": 1}, skill="s").crew_size == 1


def test_policy_tier_weight() -> None:
    policy = Policy()
    assert policy.tier_weight("standard") == 1.0
    assert Policy(tier_weights={"standard": 2.0}).tier_weight("standard") == 2.0
    with pytest.raises(KeyError):
        policy.tier_weight("gold")


def test_schema_is_generated() -> None:
    schema = Scenario.model_json_schema()
    assert set(schema["required"]) >= {"name", "horizon", "machines", "products"}
    assert schema["properties"]["version"]["const"] == 1
    json.dumps(schema)


def _windows_schema(schema: dict[str, Any]) -> dict[str, Any]:
    weekly = schema["$defs"]["Calendar"]["properties"]["weekly"]
    mapping = next(branch for branch in weekly["anyOf"] if branch.get("type") == "object")
    return mapping["additionalProperties"]["items"]


def test_schema_windows_are_arrays_of_two_strings() -> None:
    window = _windows_schema(Scenario.model_json_schema())
    assert window["type"] == "array"
    assert window["minItems"] == 2
    assert window["maxItems"] == 2
    assert [item["type"] for item in window["prefixItems"]] == ["string", "string"]


def test_schema_forbids_unknown_keys() -> None:
    schema = Scenario.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Order"]["additionalProperties"] is False


def test_constructing_an_invalid_scenario_in_code_raises() -> None:
    with pytest.raises(ValidationError, match="problem"):
        Scenario.model_validate(
            {
                "name": "x",
                "horizon": {"start": "2026-01-05T00:00:00Z", "end": "2026-01-06T00:00:00Z"},
                "machines": [{"id": "m"}],
                "products": [{"id": "p", "routing": [{"id": "op", "machines": {"q": 5}}]}],
            }
        )


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_plan_round_trip(tmp_path: Path) -> None:
    start = datetime(2026, 12, 2, 5, tzinfo=UTC)
    end = datetime(2026, 12, 2, 7, 50, tzinfo=UTC)
    plan = Plan(
        scenario="Oak furniture plant, December",
        status=Status.OPTIMAL,
        objective=Objective(),
        bound=0.0,
        orders=[
            PlanOrder(
                id="SO-1001",
                accepted=True,
                priority=1,
                completion=end,
                tardiness_minutes=0,
                lines=[PlanLine(product="oak-table", quantity=10, source="production")],
            )
        ],
        assignments=[
            Assignment(
                order="SO-1001",
                line=0,
                operation="cut",
                machine="saw-2",
                staff=["chris"],
                start=start,
                end=end,
            )
        ],
    )
    path = tmp_path / "plan.json"
    path.write_text(dump_plan(plan), encoding="utf-8")
    assert load_plan(path) == plan
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "optimal"
