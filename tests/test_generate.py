"""The seeded plant generator: deterministic, valid, sized as promised, feasible by construction."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from benchmarks.generate import MAX_OPERATION, generate, main, operation_count
from engine.dispatch import dispatch
from engine.io import load_scenario, scenario_from_data
from engine.model import Scenario
from engine.problem import build_problem
from engine.schedule import terms


def test_same_seed_gives_identical_output() -> None:
    assert json.dumps(generate(60, seed=3)) == json.dumps(generate(60, seed=3))


def test_different_seeds_differ() -> None:
    assert generate(60, seed=1) != generate(60, seed=2)


@pytest.mark.parametrize(
    ("orders", "low", "high"),
    [(5, 10, 40), (50, 100, 220), (500, 1350, 1700)],
)
def test_generated_scenarios_validate_and_have_expected_size(
    orders: int, low: int, high: int
) -> None:
    data = generate(orders, seed=0)
    scenario = scenario_from_data(data)
    assert len(scenario.orders) == orders
    assert low <= operation_count(data) <= high


def test_default_resources_scale_with_size() -> None:
    small, large = generate(500), generate(2000)
    assert len(small["machines"]) == 20
    assert len(small["staff"]) >= 40
    assert len(large["machines"]) == 80
    assert len(large["staff"]) >= 160


@pytest.mark.parametrize("weeks", [1, 4, 8])
def test_every_operation_fits_one_shift(weeks: int) -> None:
    scenario = scenario_from_data(generate(300, seed=5, weeks=weeks))
    longest = max(
        op.duration(machine, line.quantity)
        for order in scenario.orders
        for line in order.lines
        for op in scenario.product_by_id[line.product].routing
        for machine in op.machines
    )
    assert longest <= MAX_OPERATION


def test_materials_cover_demand_and_arrive_before_the_last_release() -> None:
    scenario = scenario_from_data(generate(500, seed=2))
    demand = dict.fromkeys(scenario.material_by_id, 0)
    for order in scenario.orders:
        for line in order.lines:
            for material, per_unit in scenario.product_by_id[line.product].materials.items():
                demand[material] += per_unit * line.quantity
    last_release = max(o.release for o in scenario.orders if o.release is not None)
    for material in scenario.materials:
        supply = material.on_hand + sum(r.quantity for r in material.receipts)
        assert supply >= 1.2 * demand[material.id]
        assert material.on_hand < demand[material.id]
        assert all(r.at <= last_release.replace(hour=23) for r in material.receipts)


def test_releases_leave_room_before_the_horizon_end() -> None:
    scenario = scenario_from_data(generate(500, seed=4))
    horizon = scenario.horizon
    cutoff = horizon.start + (horizon.end - horizon.start) * 0.6
    releases = [o.release for o in scenario.orders if o.release is not None]
    assert len(releases) == len(scenario.orders)
    assert all(horizon.start <= r <= cutoff for r in releases)
    assert all(o.due > o.release for o in scenario.orders if o.release is not None)


def test_mix_of_tiers_stock_and_optional_orders() -> None:
    scenario = scenario_from_data(generate(500, seed=6))
    assert {c.tier for c in scenario.customers} == {"strategic", "key", "standard"}
    optional = sum(not o.firm for o in scenario.orders)
    assert 10 <= optional <= 20
    assert 0.1 * len(scenario.products) <= len(scenario.stock) <= 0.3 * len(scenario.products)


def test_cli_writes_yaml_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix in ("yaml", "json"):
        out = tmp_path / f"plant.{suffix}"
        assert main(["--orders", "20", "--seed", "1", "--out", str(out)]) == 0
        assert load_scenario(out).name == "Generated plant, 20 orders, seed 1"
    summary = capsys.readouterr().out.splitlines()[-1]
    assert "20 orders" in summary
    assert "operations" in summary
    assert "machines" in summary
    assert "staff" in summary


def test_instants_are_whole_minutes_in_the_plant_zone() -> None:
    data = generate(30, seed=8)
    instants = [data["horizon"]["start"], data["horizon"]["end"]]
    instants += [o["due"] for o in data["orders"]] + [o["release"] for o in data["orders"]]
    for text in instants:
        moment = datetime.fromisoformat(text)
        assert moment.utcoffset() is not None
        assert moment.second == 0


def test_too_few_staff_is_an_error() -> None:
    with pytest.raises(ValueError, match="staff"):
        generate(50, staff=3)


def test_default_knobs_keep_the_scenario_unchanged() -> None:
    assert generate(40, seed=2, load=0.70, due_scale=1.0) == generate(40, seed=2)


def test_loaded_plant_books_more_work_with_tighter_due_dates() -> None:
    base = scenario_from_data(generate(200, seed=3))
    loaded = scenario_from_data(generate(200, seed=3, load=0.8, due_scale=0.5))

    def work(scenario: Scenario) -> int:
        return sum(
            min(op.duration(m, line.quantity) for m in op.machines)
            for order in scenario.orders
            for line in order.lines
            for op in scenario.product_by_id[line.product].routing
        )

    def slack(scenario: Scenario) -> float:
        return sum(
            (o.due - o.release).total_seconds() for o in scenario.orders if o.release is not None
        )

    assert work(loaded) > 1.1 * work(base)
    assert slack(loaded) < 0.8 * slack(base)
    assert loaded.name.endswith("load 0.8, due scale 0.5")
    assert all(o.due > o.release for o in loaded.orders if o.release is not None)


@pytest.mark.parametrize(("orders", "seed"), [(100, 13), (100, 18), (200, 4), (200, 7)])
def test_loaded_plant_has_a_plan_for_every_firm_order(orders: int, seed: int) -> None:
    # Seeds whose plants had no plan when more than 80% of capacity could be booked.
    data = build_problem(scenario_from_data(generate(orders, seed, load=0.8, due_scale=0.5)))
    schedule = dispatch(data)
    assert schedule is not None
    assert terms(data, schedule).tardiness > 0


@pytest.mark.parametrize(
    ("option", "value"), [("load", 0.05), ("load", 0.85), ("due_scale", 0.0), ("due_scale", 6.0)]
)
def test_knobs_out_of_range_are_errors(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        generate(20, **{option: value})  # type: ignore[arg-type]


def test_cli_takes_load_and_due_scale(tmp_path: Path) -> None:
    out = tmp_path / "loaded.json"
    assert main(["--orders", "20", "--load", "0.8", "--due-scale", "0.5", "--out", str(out)]) == 0
    assert load_scenario(out).name == "Generated plant, 20 orders, seed 0, load 0.8, due scale 0.5"
