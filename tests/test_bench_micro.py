"""CI-sized microbenchmarks: small standard instances whose optimum is known.

Each instance is imported as a scenario, solved by the engine with a time limit
that leaves ample room, and must reach the known optimal makespan with a plan
that passes the independent checker. The time is never asserted: a speed
regression shows up as a missed optimum, a correctness regression as a failed
check or a makespan below the optimum.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.instances import Instance, fjsp_dir, fjsp_entries, read_jsplib, to_scenario
from engine.check import check_plan
from engine.dispatch import dispatch
from engine.model import Status
from engine.problem import build_problem
from engine.schedule import terms
from engine.solve import SolveParams, solve

PARAMS = SolveParams(time_limit=20, workers=2, seed=0)


def _solve_to_optimum(instance: Instance, optimum: int) -> None:
    scenario = to_scenario(instance)
    result = solve(scenario, PARAMS)
    assert result.has_plan
    report = check_plan(scenario, result.plan)
    assert report.ok, [str(v) for v in report.violations]
    assert result.plan.objective.total == pytest.approx(optimum)
    assert report.objective["total"] == pytest.approx(optimum)
    assert result.status == Status.OPTIMAL


@pytest.mark.parametrize(
    ("name", "optimum"),
    [("ft06", 55), ("la01", 666), ("la02", 655), ("la03", 597), ("la04", 590), ("la05", 593)],
)
def test_job_shop_optimum(name: str, optimum: int) -> None:
    instance = read_jsplib(name)
    assert instance.best_known == optimum and instance.optimal
    _solve_to_optimum(instance, optimum)


@pytest.mark.parametrize(
    ("category", "file", "optimum"),
    [
        ("Kacem", "179.txt", 11),
        ("Kacem", "180.txt", 14),
        ("Kacem", "182.txt", 7),
        ("Brandimarte", "1.txt", 40),
    ],
)
def test_flexible_job_shop_optimum(category: str, file: str, optimum: int) -> None:
    folder, why = fjsp_dir()
    if folder is None:
        pytest.skip(why)
    (entry,) = [e for e in fjsp_entries(folder) if (e.category, e.path.name) == (category, file)]
    assert entry.best_known == optimum
    _solve_to_optimum(entry.read(), optimum)


def test_runner_compares_every_solver_on_ft06(tmp_path: Path) -> None:
    from benchmarks.run import main, read_rows

    out = tmp_path / "results.csv"
    code = main(["--set", "ft", "--limit", "1", "--time-limit", "5", "--repeats", "1",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    rows = {r.solver: r for r in read_rows(out)}
    assert {"ours", "dispatch", "plain-cp-sat"} <= set(rows)
    for row in rows.values():
        assert row.instance == "ft06" and row.checker_ok and row.best_known == 55
        assert row.objective is not None and row.objective >= 55
    assert rows["ours"].objective == rows["plain-cp-sat"].objective == 55
    assert rows["ours"].gap_pct == 0.0


def test_runner_skips_absent_fjsp_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.run import main

    code = main(["--set", "brandimarte", "--instances", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "r.csv")])  # fmt: skip
    assert code == 0
    assert "skipping set brandimarte: no flexible-job-shop folder" in capsys.readouterr().err


def test_loaded_plant_sets_generate_loaded_scenarios() -> None:
    from benchmarks.run import items

    (loose,) = items("plant-100", plant_seed=3)
    (loaded,) = items("plant-loaded-100", plant_seed=3)
    assert (loose.name, loaded.name) == ("plant-100-s3", "plant-loaded-100-s3")
    assert loaded.load().name.endswith("seed 3, load 0.8, due scale 0.5")
    base = build_problem(loose.load())
    busy = build_problem(loaded.load())
    late = terms(busy, dispatch(busy)).tardiness  # type: ignore[arg-type]
    assert terms(base, dispatch(base)).tardiness == 0 < late  # type: ignore[arg-type]
