"""Every scenario file loads, solves and passes the checker; the ``orderplan`` CLI end to end."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import yaml
from scenario_kit import (
    HORIZON_MINUTES,
    Data,
    assert_checked,
    base_scenario,
    operation,
    order,
    product,
)
from typer.testing import CliRunner

from engine.check import check_plan
from engine.cli import app
from engine.io import dump_scenario, load_plan, load_scenario, scenario_from_data
from engine.model import Status
from engine.solve import SolveParams, solve

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
DATA = Path(__file__).parent / "data"
PARAMS = SolveParams(time_limit=10, workers=2, seed=0)


def _infeasible_on_purpose(path: Path) -> bool:
    return path.stem.startswith("infeasible")


# --- scenario files -------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_file_loads_and_round_trips(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.orders
    assert scenario_from_data(json.loads(json.dumps(dump_scenario(scenario)))) == scenario


@pytest.mark.parametrize(
    "path", [p for p in SCENARIOS if not _infeasible_on_purpose(p)], ids=lambda p: p.name
)
def test_feasible_scenario_solves_and_passes_the_checker(path: Path) -> None:
    scenario = load_scenario(path)
    result = solve(scenario, PARAMS)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result.plan.reasons
    assert_checked(scenario, result.plan)
    assert {o.id for o in result.plan.orders} == {o.id for o in scenario.orders}


def test_infeasible_scenario_is_reported_with_reasons() -> None:
    path = ROOT / "scenarios" / "infeasible.yaml"
    if not path.exists():
        pytest.skip("scenarios/infeasible.yaml not written yet")
    scenario = load_scenario(path)
    result = solve(scenario, PARAMS)
    assert result.status == Status.INFEASIBLE
    assert result.plan.reasons
    assert result.plan.assignments == []
    # The file is infeasible because its firm orders compete: the reasons name them all.
    text = "\n".join(result.plan.reasons)
    assert all(o.id in text for o in scenario.orders if o.firm)


def test_format_example_solves_to_zero() -> None:
    scenario = load_scenario(DATA / "format_example.yaml")
    result = solve(scenario, PARAMS)
    assert result.status == Status.OPTIMAL
    assert result.plan.objective.total == pytest.approx(0.0, abs=1e-9)
    assert_checked(scenario, result.plan)
    [decision] = result.plan.orders
    assert [line.source for line in decision.lines] == ["production"]


def test_format_example_plan_passes_the_checker() -> None:
    scenario = load_scenario(DATA / "format_example.yaml")
    plan = load_plan(DATA / "check_format_example_plan.json")
    report = check_plan(scenario, plan)
    assert report.ok, report.violations
    assert report.objective == pytest.approx(dict.fromkeys(report.objective, 0.0), abs=1e-9)


# --- the CLI --------------------------------------------------------------------------------

runner = CliRunner()


def _write(path: Path, data: Data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _two_orders() -> Data:
    """Two 60-min orders on one machine, both due at 60: optimum 1 h of tardiness."""
    return base_scenario(orders=[order("A", "p", due=60), order("B", "p", due=60)])


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "two.yaml", _two_orders())


@pytest.fixture
def plan_file(tmp_path: Path, scenario_file: Path) -> Path:
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app,
        ["solve", str(scenario_file), "--time-limit", "5", "--workers", "1", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    out.write_text(result.stdout, encoding="utf-8")
    return out


def test_cli_solve_prints_the_plan_as_json(scenario_file: Path, plan_file: Path) -> None:
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    assert data["status"] == "optimal"
    assert data["objective"]["total"] == pytest.approx(1.0, abs=1e-9)
    assert check_plan(load_scenario(scenario_file), data).ok


def test_cli_solve_writes_out_file(tmp_path: Path, scenario_file: Path) -> None:
    out = tmp_path / "sub" / "plan.json"
    result = runner.invoke(
        app,
        ["solve", str(scenario_file), "--time-limit", "5", "--workers", "1", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"


def test_cli_solve_waits_for_compiling_after_writing_the_plan(
    tmp_path: Path, scenario_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.solve import tabu

    out = tmp_path / "plan.json"
    seen: list[bool] = []

    def waited(deadline: float | None = None) -> bool:
        # The plan is on disk before the command waits for the compiler.
        seen.append(out.exists())
        return True

    monkeypatch.setattr(tabu, "_warm", threading.Event())
    monkeypatch.setattr(tabu, "_warm_started", False)
    monkeypatch.setattr(tabu, "_warm_ok", False)
    monkeypatch.setattr(tabu, "warm_up", lambda: time.sleep(0.5))
    tabu.warm_up_in_background()
    monkeypatch.setattr(tabu, "ready", waited)
    result = runner.invoke(
        app,
        ["solve", str(scenario_file), "--time-limit", "5", "--workers", "1", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert seen == [True]
    assert "waiting for the search's inner loops to be ready" in result.stderr


def test_cli_check_accepts_a_good_plan(scenario_file: Path, plan_file: Path) -> None:
    result = runner.invoke(app, ["check", str(scenario_file), str(plan_file)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_cli_check_rejects_a_broken_plan(
    tmp_path: Path, scenario_file: Path, plan_file: Path
) -> None:
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    # Both operations on the one machine at the same time, and the objective left as it was.
    data["assignments"][1]["start"] = data["assignments"][0]["start"]
    data["assignments"][1]["end"] = data["assignments"][0]["end"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["check", str(scenario_file), str(broken)])
    assert result.exit_code == 1, result.output
    assert "no_overlap_machine" in result.output


def test_cli_invalid_scenario_names_the_problem_path(tmp_path: Path) -> None:
    data = _two_orders()
    data["orders"][1]["lines"][0]["product"] = "oak-tabel"
    path = _write(tmp_path / "typo.yaml", data)
    result = runner.invoke(app, ["solve", str(path), "--time-limit", "5", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "orders[1].lines[0].product" in result.output
    assert "oak-tabel" in result.output


def test_cli_infeasible_scenario_exits_3(tmp_path: Path) -> None:
    data = base_scenario(
        products=[product("p", operation("run", {"m1": 1500}))],
        orders=[order("A", "p", due=HORIZON_MINUTES), order("B", "p", due=HORIZON_MINUTES)],
    )
    path = _write(tmp_path / "crunch.yaml", data)
    result = runner.invoke(app, ["solve", str(path), "--time-limit", "5", "--workers", "1"])
    assert result.exit_code == 3, result.output
    assert "infeasible" in result.output
    assert json.loads(result.stdout)["status"] == "infeasible"


def test_cli_schema_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert "orders" in schema["properties"]


def test_cli_compile_warms_both_searches_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import dispatch_kernels
    from engine.solve import tabu

    called: list[str] = []
    monkeypatch.setattr(dispatch_kernels, "warm_up", lambda: called.append("dispatch"))
    monkeypatch.setattr(tabu, "warm_up", lambda: called.append("tabu"))
    result = runner.invoke(app, ["compile"])
    assert result.exit_code == 0, result.output
    assert called == ["dispatch", "tabu"]
    assert "ready" in result.stderr


def test_cli_compile_says_when_numba_has_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import compiling, dispatch_kernels
    from engine.solve import tabu

    monkeypatch.setattr(dispatch_kernels, "warm_up", lambda: None)
    monkeypatch.setattr(tabu, "warm_up", lambda: None)
    monkeypatch.setattr(compiling, "UNCACHED", ["engine.dispatch_kernels.dispatch"])
    result = runner.invoke(app, ["compile"])
    assert result.exit_code == 0, result.output
    assert "NUMBA_CACHE_DIR" in result.stderr


def test_cli_compile_reports_a_failed_compile_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine import dispatch_kernels

    def fail() -> None:
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(dispatch_kernels, "warm_up", fail)
    result = runner.invoke(app, ["compile"])
    assert result.exit_code == 1
    assert "no LLVM here" in result.stderr
    assert "Traceback" not in result.output
