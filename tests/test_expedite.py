"""The expedite preview against a published plan: can the date be met, who slips, at what cost.

The plant: ``m1`` makes ``p`` (60 min), ``m2`` makes ``q`` (60 min), all in UTC
from minute 0. A (tier ``key``, weight 3) is due at 60, B at 120, C at 180 on
m1; D at 60 on m2. The published plan is the unique on-time one: A [0, 60),
B [60, 120), C [120, 180) on m1, D [0, 60) on m2, objective 0. Expediting C
weighs it 10 x the highest tier (30) unless ``tier_weights.expedite`` says
otherwise.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from scenario_kit import (
    Data,
    assert_checked,
    at,
    base_scenario,
    minute,
    operation,
    order,
    product,
    solve_optimal,
)
from typer.testing import CliRunner

from engine.cli import app
from engine.expedite import ExpediteError, ExpeditePreview, expedite_scenario, preview
from engine.io import scenario_from_data
from engine.model import Plan, Status
from engine.solve import SolveParams

PARAMS = SolveParams(time_limit=10, workers=1, seed=0)


def plant(**policy: object) -> Data:
    """The plant of the module docstring; ``policy`` keys are laid over its policy."""
    data = base_scenario(
        machines=[{"id": "m1"}, {"id": "m2"}],
        products=[
            product("p", operation("run", {"m1": 60})),
            product("q", operation("run", {"m2": 60})),
        ],
        customers=[{"id": "c"}, {"id": "k", "tier": "key"}],
        orders=[
            order("A", "p", due=60, customer="k"),
            order("B", "p", due=120),
            order("C", "p", due=180),
            order("D", "q", due=60),
        ],
    )
    data["policy"]["tier_weights"] = {"standard": 1, "key": 3}
    for key, value in policy.items():
        if key == "weights":
            assert isinstance(value, dict)
            data["policy"]["weights"].update(value)
        elif key == "tier_weights":
            assert isinstance(value, dict)
            data["policy"]["tier_weights"].update(value)
        else:
            data["policy"][key] = value
    return data


@pytest.fixture(scope="module")
def published() -> Plan:
    """The published plan of the plant, solved without a baseline."""
    plan = solve_optimal(plant())
    starts = {a.order: (a.machine, minute(a.start)) for a in plan.assignments}
    assert starts == {"A": ("m1", 0), "B": ("m1", 60), "C": ("m1", 120), "D": ("m2", 0)}
    return plan


def _preview(data: Data, published: Plan, order_id: str, due: int) -> ExpeditePreview:
    scenario = scenario_from_data(data)
    result = preview(scenario, published, order_id, datetime.fromisoformat(at(due)), PARAMS)
    assert result.plan.status == Status.OPTIMAL
    # The new plan answers the expedited scenario (baseline, due, weight): the checker agrees.
    due_at = datetime.fromisoformat(at(due))
    assert_checked(expedite_scenario(scenario, published, order_id, due_at), result.plan)
    return result


def _slips(result: ExpeditePreview) -> dict[str, int]:
    return {x.id: x.delay_minutes for x in result.orders if x.slips}


def test_expedite_names_exactly_the_orders_that_slip(published: Plan) -> None:
    """C first [0, 60): A [60, 120) and B [120, 180) slip 1 h each; D on m2 does not.

    Tardiness 3 (A, tier key) + 1 (B); stability: C moved 2 h, A and B 1 h each.
    Putting B before A would cost A 2 h x 3; C second costs 1 h x 30.
    """
    result = _preview(plant(), published, "C", 60)
    assert result.order == "C"
    assert result.can_meet
    assert result.completion == datetime.fromisoformat(at(60))
    assert result.earliest_completion == result.completion
    assert _slips(result) == {"A": 60, "B": 60}
    assert [x.id for x in result.orders] == ["A", "B", "D"]
    d = next(x for x in result.orders if x.id == "D")
    assert (d.slips, d.delay_minutes, d.completion_before, d.completion_after) == (
        False,
        0,
        datetime.fromisoformat(at(60)),
        datetime.fromisoformat(at(60)),
    )
    a = next(x for x in result.orders if x.id == "A")
    assert (a.tardiness_minutes_before, a.tardiness_minutes_after) == (0, 60)
    assert (a.accepted_before, a.accepted_after) == (True, True)
    assert result.objective_before == published.objective
    assert result.objective_before.total == 0.0
    after = result.objective_after.model_dump()
    assert after == pytest.approx(
        {
            "total": 8.0,
            "tardiness": 4.0,
            "rejection": 0.0,
            "makespan": 0.0,
            "changeover": 0.0,
            "stability": 4.0,
        },
        abs=1e-9,
    )
    assert result.objective_after == result.plan.objective


def test_date_that_cannot_be_met_reports_the_earliest_one(published: Plan) -> None:
    """Due at 30: C still goes first and ends at 60, half an hour late; 60 is the earliest."""
    result = _preview(plant(), published, "C", 30)
    assert not result.can_meet
    assert result.completion == datetime.fromisoformat(at(60))
    assert result.earliest_completion == datetime.fromisoformat(at(60))
    assert _slips(result) == {"A": 60, "B": 60}
    assert result.objective_after.tardiness == pytest.approx(15 + 4, abs=1e-9)


def test_earliest_date_ignores_the_price_of_moving_others(published: Plan) -> None:
    """Stability weighs 100: moving A and B costs 200+, so C stays at [120, 180), 150 min late.

    The earliest the plant could give C is still 60; nobody slips.
    """
    result = _preview(plant(weights={"stability": 100.0}), published, "C", 30)
    assert not result.can_meet
    assert result.completion == datetime.fromisoformat(at(180))
    assert result.earliest_completion == datetime.fromisoformat(at(60))
    assert _slips(result) == {}
    assert result.objective_after.total == pytest.approx(150 / 60 * 30, abs=1e-9)
    assert result.objective_after.stability == 0.0


@pytest.mark.parametrize(
    ("weight", "moves"),
    [(None, True), (5.0, True), (2.0, False)],
    ids=["default-30", "expedite-5", "expedite-2"],
)
def test_expedite_weight_comes_from_the_tier_weights(
    published: Plan, weight: float | None, moves: bool
) -> None:
    """Bringing C forward costs 8; leaving it 2 h late costs 2 x the expedite weight."""
    tiers = {} if weight is None else {"expedite": weight}
    result = _preview(plant(tier_weights=tiers), published, "C", 60)
    assert result.can_meet is moves
    assert _slips(result) == ({"A": 60, "B": 60} if moves else {})
    assert result.objective_after.total == pytest.approx(8.0 if moves else 2 * (weight or 0))


def test_order_in_progress_at_the_freeze_cannot_come_earlier(published: Plan) -> None:
    """Freeze at 90: B [60, 120) is running and frozen; asked for 60, it still ends at 120."""
    result = _preview(plant(freeze_until=at(90)), published, "B", 60)
    assert not result.can_meet
    assert result.completion == datetime.fromisoformat(at(120))
    assert result.earliest_completion == datetime.fromisoformat(at(120))
    assert _slips(result) == {}


@pytest.mark.parametrize(
    ("order_id", "due", "freeze", "words"),
    [
        ("Z", at(60), None, ["'Z'", "does not exist"]),
        ("A", at(60), at(90), ["A is already done", "completed at"]),
        ("A", "2026-12-01T01:00:00", None, ["UTC offset"]),
    ],
    ids=["unknown-order", "already-done", "naive-date"],
)
def test_expedite_errors_are_clear(
    published: Plan, order_id: str, due: str, freeze: str | None, words: list[str]
) -> None:
    data = plant() if freeze is None else plant(freeze_until=freeze)
    with pytest.raises(ExpediteError) as caught:
        preview(scenario_from_data(data), published, order_id, datetime.fromisoformat(due), PARAMS)
    for word in words:
        assert word in str(caught.value)


def test_order_done_exactly_at_the_freeze_is_done(published: Plan) -> None:
    scenario = scenario_from_data(plant(freeze_until=at(60)))
    with pytest.raises(ExpediteError, match="already done"):
        preview(scenario, published, "D", datetime.fromisoformat(at(30)), PARAMS)


# --- the CLI ------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path, published: Plan) -> tuple[Path, Path]:
    scenario_file = tmp_path / "plant.yaml"
    scenario_file.write_text(yaml.safe_dump(plant(), sort_keys=False), encoding="utf-8")
    plan_file = tmp_path / "published.json"
    plan_file.write_text(published.model_dump_json(), encoding="utf-8")
    return scenario_file, plan_file


def _expedite(files: tuple[Path, Path], *extra: str) -> list[str]:
    scenario_file, plan_file = files
    return ["expedite", str(scenario_file), "--baseline", str(plan_file), *extra]


def test_cli_expedite_prints_the_preview_as_json(files: tuple[Path, Path]) -> None:
    args = _expedite(files, "--order", "C", "--due", "2026-12-01T02:00+01:00")
    result = runner.invoke(app, [*args, "--time-limit", "10", "--workers", "1"])
    assert result.exit_code == 0, result.output
    answer = ExpeditePreview.model_validate(json.loads(result.stdout))
    assert answer.can_meet
    assert answer.completion == datetime.fromisoformat(at(60))
    assert _slips(answer) == {"A": 60, "B": 60}
    assert answer.objective_after.total == pytest.approx(8.0, abs=1e-9)
    assert "can be met" in result.stderr
    assert "2 other order(s) slip" in result.stderr


def test_cli_expedite_writes_out_file(tmp_path: Path, files: tuple[Path, Path]) -> None:
    out = tmp_path / "preview.json"
    args = _expedite(files, "--order", "C", "--due", at(30), "--out", str(out))
    result = runner.invoke(app, [*args, "--time-limit", "10", "--workers", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["can_meet"] is False
    assert datetime.fromisoformat(data["earliest_completion"]) == datetime.fromisoformat(at(60))
    assert "cannot be met" in result.stderr


@pytest.mark.parametrize(
    ("order_id", "due", "words"),
    [
        ("Z", at(60), "does not exist"),
        ("C", "tomorrow", "not an ISO 8601 instant"),
        ("C", "2026-12-01T01:00", "needs a UTC offset"),
    ],
    ids=["unknown-order", "bad-date", "naive-date"],
)
def test_cli_expedite_refusals_exit_2(
    files: tuple[Path, Path], order_id: str, due: str, words: str
) -> None:
    result = runner.invoke(app, _expedite(files, "--order", order_id, "--due", due))
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert result.stdout == ""


def test_cli_expedite_already_done_exits_2(tmp_path: Path, files: tuple[Path, Path]) -> None:
    plan_file = files[1]
    frozen = tmp_path / "frozen.yaml"
    frozen.write_text(yaml.safe_dump(plant(freeze_until=at(90))), encoding="utf-8")
    result = runner.invoke(
        app,
        _expedite((frozen, plan_file), "--order", "A", "--due", at(30)),
    )
    assert result.exit_code == 2, result.output
    assert "already done" in result.stderr
