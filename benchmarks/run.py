"""Benchmark runner on standard instance sets and generated plant scenarios.

For each instance of a named set and each repeat (seed = repeat index), it
solves the instance's scenario with our engine (``method=cp``), the
dispatching heuristic alone (``method=dispatch``), the plain CP-SAT model of
:mod:`benchmarks.reference` and, when installed, PyJobShop, all with the same
time limit, workers and seed, one after the other in this process. Every plan
is verified by the independent checker. Results go to a CSV (one row per
instance, solver and repeat) and a table with medians over the repeats, gaps
to the best-known makespan and ratios to the other solvers. The protocol is
in ``benchmarks/README.md``. Run::

    python -m benchmarks.run --set taillard-15x15 --time-limit 60 --workers 2 --repeats 3
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.generate import TARGET_LOAD, generate
from benchmarks.instances import (
    REPO_ROOT,
    FjspEntry,
    fjsp_dir,
    fjsp_entries,
    read_jsplib,
    to_scenario,
)
from benchmarks.reference import (
    ReferenceResult,
    pyjobshop_applicable,
    pyjobshop_available,
    solve_pyjobshop,
    solve_reference,
)
from engine.check import check_plan
from engine.io import scenario_from_data
from engine.model import Scenario
from engine.solve import Progress, SolveParams, solve

__all__ = ["SETS", "Row", "main", "run_set"]

SOLVERS = ("ours", "dispatch", "plain-cp-sat", "pyjobshop")


def _ta(first: int, last: int) -> list[str]:
    return [f"ta{i:02d}" for i in range(first, last + 1)]


JSP_SETS: dict[str, list[str]] = {
    "taillard-15x15": _ta(1, 10),
    "taillard-20x15": _ta(11, 20),
    "taillard-20x20": _ta(21, 30),
    "taillard-30x15": _ta(31, 40),
    "taillard-30x20": _ta(41, 50),
    "taillard-50x15": _ta(51, 60),
    "taillard-50x20": _ta(61, 70),
    "taillard-100x20": _ta(71, 80),
    "lawrence": [f"la{i:02d}" for i in range(1, 41)],
    "ft": ["ft06", "ft10", "ft20"],
}
"""Job-shop sets: instance names in the committed JSPLIB collection."""
FJSP_SETS: dict[str, str] = {
    "brandimarte": "Brandimarte",
    "hurink-edata": "edata_la",
    "hurink-rdata": "rdata_la",
    "hurink-vdata": "vdata_la",
}
"""Flexible-job-shop sets: categories of the shared folder's ``bks.csv``."""
LOADED = {"load": 0.8, "due_scale": 0.5}
"""A loaded plant: capacity booked close to full and half the due-date slack."""
PLANT_SETS: dict[str, tuple[int, dict[str, float]]] = {
    "plant-100": (100, {}),
    "plant-500": (500, {}),
    "plant-2000": (2000, {}),
    "plant-loaded-100": (100, LOADED),
    "plant-loaded-500": (500, LOADED),
    "plant-loaded-2000": (2000, LOADED),
}
"""Generated plant scenarios: number of orders and generator options (no best-known value).

The ``plant-N`` sets can put every order on time, so makespan and changeovers make
up their objective; in the ``plant-loaded-N`` sets orders compete for capacity and
tier-weighted lateness dominates."""
SETS = [*JSP_SETS, *FJSP_SETS, *PLANT_SETS]


@dataclass(frozen=True)
class Item:
    """One benchmark instance, loaded on demand."""

    name: str
    set: str
    best_known: int | None
    load: Callable[[], Scenario]


@dataclass(frozen=True)
class Row:
    """One solve: a CSV row."""

    instance: str
    set: str
    solver: str
    repeat: int
    objective: float | None
    bound: float | None
    best_known: int | None
    gap_pct: float | None
    time_to_first: float | None
    time_to_best: float | None
    status: str
    checker_ok: bool | None


class Unavailable(Exception):
    """A set whose instances are not on this machine; the message says why."""


def items(name: str, instances: Path | None = None, plant_seed: int = 1) -> list[Item]:
    """The instances of a named set.

    Raises
    ------
    Unavailable
        For a flexible-job-shop set when the shared folder is absent.
    """
    if name in JSP_SETS:
        out = []
        for instance_name in JSP_SETS[name]:
            instance = read_jsplib(instance_name)
            out.append(
                Item(instance_name, name, instance.best_known, partial(to_scenario, instance))
            )
        return out
    if name in FJSP_SETS:
        folder, why = fjsp_dir(instances)
        if folder is None:
            raise Unavailable(why)
        entries = [e for e in fjsp_entries(folder) if e.category == FJSP_SETS[name]]
        stem = "mk" if name == "brandimarte" else name.removeprefix("hurink-") + "-"
        return [
            Item(
                f"{stem}{k:02d}" if name == "brandimarte" else f"{stem}{e.path.stem}",
                name,
                e.best_known,
                partial(_fjsp_scenario, e),
            )
            for k, e in enumerate(entries, start=1)
        ]
    if name in PLANT_SETS:
        n, options = PLANT_SETS[name]
        return [
            Item(
                f"{name}-s{plant_seed}",
                name,
                None,
                partial(_plant_scenario, name, n, plant_seed, options),
            )
        ]
    raise KeyError(f"unknown set {name!r}; choose one of {', '.join(SETS)}")


def _fjsp_scenario(entry: FjspEntry) -> Scenario:
    return to_scenario(entry.read())


def _plant_scenario(name: str, orders: int, seed: int, options: dict[str, float]) -> Scenario:
    data = generate(
        orders,
        seed,
        load=options.get("load", TARGET_LOAD),
        due_scale=options.get("due_scale", 1.0),
    )
    return scenario_from_data(data, name)


def _gap(objective: float | None, best_known: int | None) -> float | None:
    if objective is None or not best_known:
        return None
    return 100.0 * (objective - best_known) / best_known


def run_engine(
    item: Item,
    scenario: Scenario,
    method: str,
    repeat: int,
    time_limit: float,
    workers: int,
    log: Console | None = None,
) -> Row:
    """Solve with our engine (``cp``) or its heuristic alone (``dispatch``) and check the plan."""
    events: list[Progress] = []
    result = solve(
        scenario,
        SolveParams(time_limit=time_limit, workers=workers, seed=repeat, method=method),
        on_progress=events.append,
    )
    solver = "ours" if method == "cp" else "dispatch"
    if not result.has_plan:
        return Row(
            item.name,
            item.set,
            solver,
            repeat,
            None,
            None,
            item.best_known,
            None,
            None,
            None,
            result.status.value,
            None,
        )
    objective = result.plan.objective.total
    report = check_plan(scenario, result.plan)
    ok = report.ok
    if not ok and log is not None:
        log.print(f"  {item.name}: {solver} plan fails the checker:", markup=False)
        for violation in report.violations[:10]:
            log.print(f"    - {violation}", markup=False)
    reached = [p.elapsed for p in events if p.objective <= objective + 1e-9]
    return Row(
        item.name,
        item.set,
        solver,
        repeat,
        objective,
        result.plan.bound,
        item.best_known,
        _gap(objective, item.best_known),
        events[0].elapsed if events else None,
        reached[0] if reached else (events[-1].elapsed if events else None),
        result.status.value if ok else "invalid",
        ok,
    )


def _row(
    item: Item, solver: str, repeat: int, r: ReferenceResult, log: Console | None = None
) -> Row:
    if r.violations and log is not None:
        log.print(f"  {item.name}: {solver} plan fails the checker:", markup=False)
        for violation in r.violations[:10]:
            log.print(f"    - {violation}", markup=False)
    return Row(
        item.name,
        item.set,
        solver,
        repeat,
        r.objective,
        r.bound,
        item.best_known,
        _gap(r.objective, item.best_known),
        r.time_to_first,
        r.time_to_best,
        "invalid" if r.checker_ok is False else r.status,
        r.checker_ok,
    )


def solve_item(
    item: Item,
    repeats: int,
    time_limit: float,
    workers: int,
    log: Console,
    solvers: tuple[str, ...] = SOLVERS,
) -> Iterator[Row]:
    """The chosen solvers (all by default) on one instance, ``repeats`` times (seeds 0 .. N-1)."""
    scenario = item.load()
    pjs = (
        "pyjobshop" in solvers and pyjobshop_available() and pyjobshop_applicable(scenario) is None
    )
    for repeat in range(repeats):
        rows = []
        if "ours" in solvers:
            rows.append(run_engine(item, scenario, "cp", repeat, time_limit, workers, log))
        if "dispatch" in solvers:
            rows.append(run_engine(item, scenario, "dispatch", repeat, time_limit, workers, log))
        if "plain-cp-sat" in solvers:
            reference = solve_reference(scenario, time_limit, workers, repeat)
            rows.append(_row(item, "plain-cp-sat", repeat, reference, log))
        if pjs:
            rows.append(
                _row(
                    item,
                    "pyjobshop",
                    repeat,
                    solve_pyjobshop(scenario, time_limit, workers, repeat),
                    log,
                )
            )
        for row in rows:
            shown = "-" if row.objective is None else f"{row.objective:g}"
            log.print(
                f"  {item.name} repeat {repeat} {row.solver:<12} {shown:>10} "
                f"{row.status} checker={row.checker_ok}",
                markup=False,
            )
            yield row


def _median(rows: list[Row]) -> float | None:
    values = [r.objective for r in rows if r.objective is not None and r.checker_ok]
    return statistics.median(values) if values else None


def _solver_cell(rows: list[Row], median: float | None, invalid: bool) -> str:
    if median is None:
        # Say why there is no figure: no plan in time, or no plan passing the checker.
        return "/".join(sorted({r.status for r in rows})) if rows else "-"
    return _fmt(median) + (" [red]invalid[/]" if invalid else "")


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(ours: float | None, other: float | None) -> str:
    return "-" if ours is None or not other else f"{ours / other:.3f}"


def table(rows: list[Row], title: str) -> tuple[Table, Table]:
    """The per-instance table (medians over repeats) and the per-set summary."""
    by: dict[tuple[str, str], list[Row]] = defaultdict(list)
    instances: dict[str, tuple[str, int | None]] = {}
    for r in rows:
        by[r.instance, r.solver].append(r)
        instances.setdefault(r.instance, (r.set, r.best_known))
    main = Table(title=title)
    for column in (
        "instance",
        "best-known",
        "ours",
        "gap %",
        "first (s)",
        "best (s)",
        "bound",
        "dispatch",
        "ours/disp",
        "plain CP-SAT",
        "ours/plain",
        "PyJobShop",
        "ours/pjs",
    ):
        main.add_column(column, justify="left" if column == "instance" else "right")
    gaps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    ratios: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for name, (set_name, best) in instances.items():
        medians = {s: _median(by[name, s]) for s in SOLVERS}
        ours_rows = by[name, "ours"]
        for solver, value in medians.items():
            gap = _gap(value, best)
            if gap is not None:
                gaps[set_name][solver].append(gap)
            if value and medians["ours"] is not None and solver != "ours":
                ratios[set_name][solver].append(medians["ours"] / value)
        invalid = {s for s in SOLVERS if any(r.status == "invalid" for r in by[name, s])}
        main.add_row(
            name,
            "-" if best is None else str(best),
            _solver_cell(ours_rows, medians["ours"], "ours" in invalid),
            _fmt(_gap(medians["ours"], best), 2),
            _fmt(
                statistics.median(r.time_to_first for r in ours_rows if r.time_to_first is not None)
                if ours_rows
                else None,
                2,
            ),
            _fmt(
                statistics.median(r.time_to_best for r in ours_rows if r.time_to_best is not None)
                if ours_rows
                else None,
                2,
            ),
            _fmt(
                statistics.median(r.bound for r in ours_rows if r.bound is not None)
                if any(r.bound is not None for r in ours_rows)
                else None
            ),
            _solver_cell(by[name, "dispatch"], medians["dispatch"], "dispatch" in invalid),
            _ratio(medians["ours"], medians["dispatch"]),
            _solver_cell(
                by[name, "plain-cp-sat"], medians["plain-cp-sat"], "plain-cp-sat" in invalid
            ),
            _ratio(medians["ours"], medians["plain-cp-sat"]),
            _solver_cell(by[name, "pyjobshop"], medians["pyjobshop"], "pyjobshop" in invalid),
            _ratio(medians["ours"], medians["pyjobshop"]),
        )
    summary = Table(title="per set: mean gap to best-known % (mean ratio ours/other)")
    summary.add_column("set")
    for solver in SOLVERS:
        summary.add_column(solver, justify="right")
    for set_name in dict.fromkeys(s for s, _ in instances.values()):
        cells = []
        for solver in SOLVERS:
            g = gaps[set_name].get(solver)
            q = ratios[set_name].get(solver)
            cell = _fmt(statistics.mean(g), 2) if g else "-"
            if q:
                cell += f" ({statistics.mean(q):.3f})"
            cells.append(cell)
        summary.add_row(set_name, *cells)
    return main, summary


def markdown(table_: Table) -> str:
    """A rich table as a Markdown table (for ``benchmarks/README.md``)."""
    head = [str(c.header) for c in table_.columns]
    cells = [[str(x) for x in c.cells] for c in table_.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in zip(*cells, strict=True):
        lines.append(
            "| " + " | ".join(x.replace("[red]", "").replace("[/]", "") for x in row) + " |"
        )
    return "\n".join(lines)


def read_rows(path: Path) -> list[Row]:
    """Rows of a CSV written by this runner."""

    def number(text: str) -> float | None:
        return float(text) if text else None

    with path.open(encoding="utf-8") as handle:
        return [
            Row(
                r["instance"],
                r["set"],
                r["solver"],
                int(r["repeat"]),
                number(r["objective"]),
                number(r["bound"]),
                int(r["best_known"]) if r["best_known"] else None,
                number(r["gap_pct"]),
                number(r["time_to_first"]),
                number(r["time_to_best"]),
                r["status"],
                None if r["checker_ok"] == "" else r["checker_ok"] == "True",
            )
            for r in csv.DictReader(handle)
        ]


def run_set(
    name: str,
    *,
    time_limit: float,
    workers: int,
    repeats: int,
    instances: Path | None = None,
    limit: int | None = None,
    plant_seed: int = 1,
    log: Console | None = None,
) -> list[Row]:
    """Run every solver on the instances of one set and return the rows."""
    log = log or Console(stderr=True, highlight=False)
    chosen = items(name, instances, plant_seed)[:limit]
    rows: list[Row] = []
    for item in chosen:
        rows.extend(solve_item(item, repeats, time_limit, workers, log))
    return rows


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit 1 when some plan of ours fails the checker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        choices=SETS,
        help="instance set (repeatable)",
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--instances",
        type=Path,
        default=None,
        help="flexible-job-shop folder (with bks.csv and instances/)",
    )
    parser.add_argument("--out", type=Path, default=Path("results.csv"))
    parser.add_argument("--limit", type=int, default=None, help="first N instances of each set")
    parser.add_argument(
        "--instance",
        dest="picked",
        action="append",
        default=[],
        help="only this instance of the sets (repeatable)",
    )
    parser.add_argument(
        "--solver",
        dest="solvers",
        action="append",
        default=[],
        choices=SOLVERS,
        help="only this solver (repeatable; default: every solver)",
    )
    parser.add_argument("--plant-seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables too")
    parser.add_argument(
        "--from-csv", type=Path, default=None, help="only print the tables of a CSV written earlier"
    )
    args = parser.parse_args(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 220)
    if args.from_csv is not None:
        return _show(read_rows(args.from_csv), str(args.from_csv), console, args.markdown)
    if not args.sets:
        parser.error("give at least one --set (or --from-csv)")
    log = Console(stderr=True, highlight=False)
    header = (
        f"{time.strftime('%Y-%m-%d %H:%M')}, commit {_commit()}, {platform.machine()}, "
        f"python {platform.python_version()}, {args.workers} worker(s), {args.time_limit:g} s, "
        f"{args.repeats} repeat(s); PyJobShop "
        + ("installed" if pyjobshop_available() else "not installed (pip install -e '.[compare]')")
    )
    log.print(header, markup=False)
    rows: list[Row] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Row.__dataclass_fields__))
        writer.writeheader()
        for name in args.sets:
            try:
                chosen = items(name, args.instances, args.plant_seed)[: args.limit]
                if args.picked:
                    chosen = [item for item in chosen if item.name in args.picked]
            except Unavailable as exc:
                log.print(f"skipping set {name}: {exc}", markup=False)
                continue
            for item in chosen:
                for row in solve_item(
                    item,
                    args.repeats,
                    args.time_limit,
                    args.workers,
                    log,
                    tuple(args.solvers) or SOLVERS,
                ):
                    writer.writerow(asdict(row))
                    rows.append(row)
                handle.flush()
    if not rows:
        log.print("no instance was run")
        return 0
    _show(rows, header, console, args.markdown)
    console.print(f"rows written to {args.out}")
    broken = [r for r in rows if r.solver in ("ours", "dispatch") and r.checker_ok is False]
    return 1 if broken else 0


def _show(rows: list[Row], title: str, console: Console, as_markdown: bool) -> int:
    main_table, summary = table(rows, title)
    console.print(main_table)
    console.print(summary)
    if as_markdown:
        console.print(markdown(main_table), markup=False)
        console.print()
        console.print(markdown(summary), markup=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
