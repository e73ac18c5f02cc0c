"""Readers of benchmark instance formats and their import as scenarios."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.instances import (
    HORIZON_START,
    Instance,
    InstanceFormatError,
    fjsp_dir,
    fjsp_entries,
    jsplib_names,
    load_jsplib,
    parse_fjs,
    parse_fjsp_matrix,
    parse_fjsp_text,
    parse_jsp_text,
    parse_standard,
    parse_taillard,
    read_fjsp,
    read_jsplib,
    to_scenario,
    to_scenario_data,
)
from engine.io import dump_scenario, scenario_from_data

Parser = Callable[[str, str], Instance]

# Two jobs on two machines: job 0 runs m0 (3) then m1 (2); job 1 runs m1 (4) then m0 (1).
STANDARD = """\
# a comment line
instance tiny
2 2
0 3 1 2
1 4 0 1
"""
TAILLARD = """\
Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound
2 2 12345 67890 7 7
Times
3 2
4 1
Machines
1 2
2 1
"""
TINY_JOBS = (({0: 3}, {1: 2}), ({1: 4}, {0: 1}))

# Two jobs on three machines: job 0 has two operations, job 1 one.
FJSP_MATRIX = """\
2 3
2 1
5 0 4
0 2 0
3 3 3
"""
FJS = """\
2 3 1.67
2 2 1 5 3 4 1 2 2
1 3 1 3 2 3 3 3
"""
FJSP_JOBS = (({0: 5, 2: 4}, {1: 2}), ({0: 3, 1: 3, 2: 3},))


@pytest.mark.parametrize("parse", [parse_standard, parse_jsp_text])
def test_standard_text(parse: Parser) -> None:
    instance = parse(STANDARD, "tiny")
    assert instance.num_jobs == 2 and instance.num_machines == 2
    assert instance.jobs == TINY_JOBS


@pytest.mark.parametrize("parse", [parse_taillard, parse_jsp_text])
def test_taillard_text(parse: Parser) -> None:
    instance = parse(TAILLARD, "tiny")
    assert instance.jobs == TINY_JOBS


@pytest.mark.parametrize("parse", [parse_fjsp_matrix, parse_fjsp_text])
def test_fjsp_matrix_text(parse: Parser) -> None:
    instance = parse(FJSP_MATRIX, "tiny")
    assert instance.num_machines == 3
    assert instance.jobs == FJSP_JOBS
    assert instance.flexible


@pytest.mark.parametrize("parse", [parse_fjs, parse_fjsp_text])
def test_fjs_text(parse: Parser) -> None:
    instance = parse(FJS, "tiny")
    assert instance.jobs == FJSP_JOBS


def test_fjs_file_suffix(tmp_path: Path) -> None:
    path = tmp_path / "mk-tiny.fjs"
    path.write_text(FJS, encoding="utf-8")
    instance = read_fjsp(path, best_known=9)
    assert (instance.name, instance.jobs, instance.best_known) == ("mk-tiny", FJSP_JOBS, 9)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_jsp_text, "2 2\n0 3 1 2\n", "neither the standard format"),
        (parse_standard, "2 2\n0 3 5 2\n1 4 0 1\n", "machine 5 is not one of 0..1"),
        (parse_taillard, "1 2\n3 2\n1 1 1\n", "Taillard format needs 2 rows"),
        (parse_fjsp_matrix, "1 2\n1\n0 0\n", "no eligible machine"),
        (parse_fjs, "1 2\n1 2 1 5\n", "line ends early"),
        (parse_fjsp_text, "x y", "not a flexible-job-shop text"),
    ],
)
def test_bad_texts_are_named(parse: Parser, text: str, message: str) -> None:
    with pytest.raises(InstanceFormatError, match=message) as info:
        parse(text, "bad")
    assert str(info.value).startswith("bad")


def test_scenario_of_tiny_instance() -> None:
    instance = parse_standard(STANDARD, "tiny")
    data = to_scenario_data(instance)
    scenario = to_scenario(instance)
    assert [m.id for m in scenario.machines] == ["m0", "m1"]
    assert [o.id for o in scenario.orders] == ["job0", "job1"]
    assert [op.machines for op in scenario.product_by_id["job1"].routing] == [{"m1": 4}, {"m0": 1}]
    assert scenario.horizon.start == HORIZON_START
    assert (scenario.horizon.end - scenario.horizon.start).total_seconds() == 10 * 60
    assert scenario.policy.weights.makespan == 60.0
    assert scenario.policy.weights.tardiness == 0.0
    assert not scenario.calendars and not scenario.staff and not scenario.materials
    # JSON round trip: the dumped scenario validates to the same scenario.
    assert scenario_from_data(dump_scenario(scenario)) == scenario
    assert scenario_from_data(data) == scenario


def test_zero_duration_operations_are_left_out() -> None:
    instance = Instance("z", 2, (({0: 3}, {1: 0}, {1: 2}), ({0: 0},)))
    with pytest.raises(InstanceFormatError, match="z: job 1 has only operations that take no"):
        to_scenario(instance)
    kept = Instance("z", 2, (({0: 3}, {1: 0}, {1: 2}), ({0: 1},)))
    routing = to_scenario(kept).product_by_id["job0"].routing
    assert [op.id for op in routing] == ["op0", "op2"]


def test_jsplib_collection_loads_all_162() -> None:
    instances = load_jsplib()
    assert len(instances) == 162 == len(jsplib_names())
    for instance in instances.values():
        assert instance.best_known is not None
        assert instance.lower_bound is not None and instance.lower_bound <= instance.best_known
        to_scenario(instance)
    ta01 = read_jsplib("ta01")
    assert (ta01.num_jobs, ta01.num_machines, ta01.best_known, ta01.optimal) == (15, 15, 1231, True)
    assert not read_jsplib("ta22").optimal


def test_unknown_jsplib_name() -> None:
    with pytest.raises(KeyError, match="no instance 'ta99'"):
        read_jsplib("ta99")


def test_shared_fjsp_folder_reads() -> None:
    folder, why = fjsp_dir()
    if folder is None:
        pytest.skip(why)
    entries = fjsp_entries(folder)
    assert len(entries) == 289
    mk01 = next(e for e in entries if e.category == "Brandimarte").read()
    assert (mk01.num_jobs, mk01.num_machines, mk01.best_known) == (10, 6, 40)
    to_scenario(mk01)


def test_fjsp_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERPLAN_FJSP_DIR", str(tmp_path))
    folder, why = fjsp_dir()
    assert folder is None and str(tmp_path) in why and "ORDERPLAN_FJSP_DIR" in why
    (tmp_path / "bks.csv").write_text("category,instance,bks\nKacem,1.txt,7\n", encoding="utf-8")
    (tmp_path / "instances").mkdir()
    (tmp_path / "instances" / "1.txt").write_text(FJSP_MATRIX, encoding="utf-8")
    folder, _ = fjsp_dir()
    assert folder == tmp_path
    (entry,) = fjsp_entries(tmp_path)
    assert entry.category == "Kacem" and entry.read().jobs == FJSP_JOBS


def test_cli_import_jsp_by_name_and_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from engine.cli import app
    from engine.io import load_scenario

    runner = CliRunner()
    out = tmp_path / "ft06.yaml"
    done = runner.invoke(app, ["import", "jsp", "ft06", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert len(load_scenario(out).orders) == 6
    text = tmp_path / "tiny.txt"
    text.write_text(TAILLARD, encoding="utf-8")
    done = runner.invoke(app, ["import", "jsp", str(text)])
    assert done.exit_code == 0, done.output
    assert scenario_from_data(json.loads(done.stdout)).name == "tiny"
    done = runner.invoke(app, ["import", "jsp", "ta99"])
    assert done.exit_code == 2 and "neither a file nor a JSPLIB instance" in done.output


def test_cli_import_fjsp(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from engine.cli import app
    from engine.io import load_scenario

    source = tmp_path / "tiny.fjs"
    source.write_text(FJS, encoding="utf-8")
    out = tmp_path / "tiny.json"
    done = CliRunner().invoke(app, ["import", "fjsp", str(source), "--out", str(out)])
    assert done.exit_code == 0, done.output
    scenario = load_scenario(out)
    assert scenario.product_by_id["job0"].routing[0].machines == {"m0": 5, "m2": 4}
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n1 2 1 5\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["import", "fjsp", str(bad)])
    assert done.exit_code == 2 and "cannot import" in done.output
