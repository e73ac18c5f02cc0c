"""The ``orderplan`` command: solve, check and describe scenarios.

Exit codes: 0 a plan, 1 a plan that fails the checker, 2 an invalid scenario
or plan file, 3 proven infeasible, 4 no plan within the time limit.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.io import ScenarioError, dump_plan, load_scenario, parse_document
from engine.model import Plan, Scenario, Status

EXIT_PLAN, EXIT_VIOLATIONS, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4
COMPILE_WAIT = 60.0
"""Seconds the command line waits at most for the search's inner loops to be compiled."""

app = typer.Typer(
    name="orderplan",
    help="Optimal order priority and production schedules from scenario files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        err.print(f"[bold red]error:[/] invalid scenario {path}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            err.print(f"[bold red]error:[/] --param {pair!r}: write it as key=value")
            raise typer.Exit(EXIT_INVALID)
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")],
    time_limit: Annotated[float, typer.Option(help="Seconds the solve may take.", min=0.01)] = 30.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.", min=1, max=64)] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.", min=0)] = 0,
    method: Annotated[str, typer.Option(help="cp (optimizer) or dispatch (heuristic).")] = "cp",
    profile: Annotated[str | None, typer.Option(help="CP-SAT parameter profile.")] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="Extra CP-SAT parameter key=value (repeatable).")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the plan JSON here (default: stdout).")
    ] = None,
    summary: Annotated[bool, typer.Option(help="Print a plan summary table.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress on stderr.")] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Replan from this published plan (JSON); replaces the file's baseline."),
    ] = None,
) -> None:
    """Solve a scenario and write its plan as JSON, with live progress on stderr."""
    from engine.solve import Progress, SolveParams
    from engine.solve import solve as run_solve

    if method not in ("cp", "dispatch"):
        err.print(f"[bold red]error:[/] --method {method!r}: choose cp or dispatch")
        raise typer.Exit(EXIT_INVALID)
    loaded = _load(scenario)
    if baseline is not None:
        loaded = _with_baseline(loaded, _load_plan(baseline))
    try:
        params = SolveParams(
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            method=method,
            profile=profile,
            cp_sat=_parse_params(param or []),
        )
    except ValidationError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_INVALID) from None

    def show(p: Progress) -> None:
        if quiet:
            return
        bound = "-" if p.bound is None else f"{p.bound:.4f}"
        gap = "-" if p.gap is None else f"{100 * p.gap:.2f}%"
        err.print(
            f"{p.elapsed:7.2f}s  {p.source:<8} incumbent {p.objective:.4f}  "
            f"bound {bound}  gap {gap}"
        )

    if not quiet:
        err.print(
            f"solving {scenario} ({len(loaded.orders)} orders) with {method}, "
            f"{workers} worker(s), up to {time_limit:g} s"
        )
    try:
        result = run_solve(loaded, params, on_progress=show)
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    text = dump_plan(result.plan)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    _finish_compiling(quiet)
    plan = result.plan
    for warning in plan.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if result.has_plan:
        if not quiet:
            err.print(
                f"[bold green]{plan.status.value}[/]: objective {plan.objective.total:.4f}, "
                f"bound {plan.bound if plan.bound is not None else '-'}, "
                f"{result.seconds:.2f} s" + (f", plan written to {out_file}" if out_file else "")
            )
        if summary:
            print_summary(plan, Console(stderr=out_file is None, highlight=False))
        raise typer.Exit(EXIT_PLAN)
    colour = "red" if result.status == Status.INFEASIBLE else "yellow"
    err.print(f"[bold {colour}]{result.status.value}[/]: no plan")
    for reason in plan.reasons:
        err.print(f"  - {reason}", markup=False)
    raise typer.Exit(EXIT_INFEASIBLE if result.status == Status.INFEASIBLE else EXIT_NO_PLAN)


def _finish_compiling(quiet: bool) -> None:
    """Wait for the search's inner loops to be compiled and cached, once after installing.

    A solve compiles them in the background and does not wait for them past its time
    limit; without this, every short solve would start compiling afresh.
    """
    from engine import dispatch_kernels
    from engine.solve import tabu

    if not tabu.warming() and not dispatch_kernels.warming():
        return
    if not quiet:
        # Mostly a load from Numba's cache, under a second; a compile after installing.
        err.print(
            "waiting for the search's inner loops to be ready"
            " (compiling them once after installing takes about 20 s;"
            " `orderplan compile` does it ahead)"
        )
    deadline = time.monotonic() + COMPILE_WAIT
    if tabu.warming():
        tabu.ready(deadline)
    if dispatch_kernels.warming():
        dispatch_kernels.wait(deadline)


def _load_plan(path: Path) -> Plan:
    try:
        data = parse_document(path.read_text(encoding="utf-8"), str(path))
        return Plan.model_validate(data)
    except (OSError, ScenarioError, ValidationError) as exc:
        err.print(f"[bold red]error:[/] cannot read plan {path}: {exc}")
        raise typer.Exit(EXIT_INVALID) from None


def _with_baseline(scenario: Scenario, plan: Plan) -> Scenario:
    from engine.expedite import baseline_of, with_changes

    return with_changes(scenario, baseline=baseline_of(plan))


def print_summary(plan: Plan, console: Console) -> None:
    """A planner's summary of a plan: objective terms and the order table."""
    terms = Table(title=f"{plan.scenario}: {plan.status.value}", show_header=True)
    for column in ("total", "tardiness", "rejection", "makespan", "changeover", "stability"):
        terms.add_column(column, justify="right")
    terms.add_column("bound", justify="right")
    o = plan.objective
    values = (o.total, o.tardiness, o.rejection, o.makespan, o.changeover, o.stability)
    terms.add_row(
        *(f"{x:.4f}" for x in values),
        "-" if plan.bound is None else f"{plan.bound:.4f}",
    )
    console.print(terms)
    table = Table(title="orders by priority", show_header=True)
    for column in ("priority", "order", "customer", "tier", "due", "completion", "late", "source"):
        table.add_column(column)
    ordered = sorted(plan.orders, key=lambda x: (x.priority is None, x.priority or 0, x.id))
    for order in ordered:
        if not order.accepted:
            table.add_row(
                "-",
                order.id,
                order.customer or "",
                order.tier or "",
                _short(order.due),
                "[red]rejected[/]",
                "",
                "",
            )
            continue
        late = order.tardiness_minutes or 0
        sources = sorted({line.source for line in order.lines})
        table.add_row(
            str(order.priority),
            order.id,
            order.customer or "",
            order.tier or "",
            _short(order.due),
            _short(order.completion),
            f"[red]{late / 60:.1f} h[/]" if late else "on time",
            "+".join(sources),
        )
    console.print(table)
    accepted = [x for x in plan.orders if x.accepted]
    late_count = sum(1 for x in accepted if x.tardiness_minutes)
    console.print(
        f"{len(accepted)} accepted, {len(plan.orders) - len(accepted)} rejected, "
        f"{late_count} late; {len(plan.assignments)} operations scheduled"
    )


def _short(value: Any) -> str:
    return value.strftime("%a %d %b %H:%M") if value is not None else ""


@app.command()
def check(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    plan: Annotated[Path, typer.Argument(help="Plan JSON file.")],
) -> None:
    """Verify a plan against every rule of its scenario and recompute its objective."""
    from engine.check import check_plan

    loaded = _load(scenario)
    try:
        data = parse_document(plan.read_text(encoding="utf-8"), str(plan))
    except (OSError, ScenarioError) as exc:
        err.print(f"[bold red]error:[/] cannot read plan {plan}: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    if not isinstance(data, dict):
        err.print(f"[bold red]error:[/] plan {plan} is not a JSON object")
        raise typer.Exit(EXIT_INVALID)
    report = check_plan(loaded, data)
    terms = ", ".join(f"{k} {v:.4f}" for k, v in report.objective.items())
    if report.ok:
        out.print(f"[bold green]ok[/]: plan satisfies every rule; recomputed objective: {terms}")
        raise typer.Exit(EXIT_PLAN)
    out.print(f"[bold red]{len(report.violations)} violation(s)[/]")
    for violation in report.violations:
        out.print(f"  - {violation}", markup=False)
    out.print(f"recomputed objective: {terms}")
    raise typer.Exit(EXIT_VIOLATIONS)


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="scenario or plan")] = "scenario",
) -> None:
    """Print the JSON Schema of scenario (or plan) files."""
    if kind not in ("scenario", "plan"):
        err.print(f"[bold red]error:[/] unknown schema {kind!r}: choose scenario or plan")
        raise typer.Exit(EXIT_INVALID)
    model = Scenario if kind == "scenario" else Plan
    sys.stdout.write(json.dumps(model.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario file.")]) -> None:
    """Validate a scenario file and report every problem with its path."""
    loaded = _load(scenario)
    out.print(
        f"[bold green]ok[/]: {loaded.name}: {len(loaded.orders)} orders, "
        f"{len(loaded.machines)} machines, {len(loaded.staff)} staff"
    )


import_app = typer.Typer(
    help="Import benchmark instances (job shop, flexible job shop) as scenario files.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


def _write_scenario(data: dict[str, Any], out_file: Path | None) -> None:
    import yaml

    from engine.io import scenario_from_data

    try:
        scenario_from_data(data, str(data.get("name", "")))
    except ScenarioError as exc:  # an importer bug, not a user error; say so plainly
        err.print(f"[bold red]error:[/] imported scenario is invalid: {escape(str(exc))}")
        raise typer.Exit(EXIT_INVALID) from None
    if out_file is None:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if out_file.suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(data, indent=2) + "\n"
    out_file.write_text(text, encoding="utf-8")
    err.print(
        f"[bold green]ok[/]: {data['name']}: {len(data['orders'])} jobs, "
        f"{len(data['machines'])} machines, written to {out_file}"
    )


@import_app.command("jsp")
def import_jsp(
    source: Annotated[
        str,
        typer.Argument(
            help="A JSPLIB instance name (ta01, la05, ft06, ...) or a file in Taillard's or "
            "the standard (JSPLIB, OR-Library) text format."
        ),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the scenario here (.yaml/.yml or JSON; default stdout)."),
    ] = None,
) -> None:
    """Import a job-shop instance as a scenario whose objective total is the makespan in minutes."""
    from benchmarks.instances import (
        InstanceFormatError,
        jsplib_names,
        read_jsp,
        read_jsplib,
        to_scenario_data,
    )

    path = Path(source)
    try:
        if path.is_file():
            instance = read_jsp(path)
        elif source in jsplib_names():
            instance = read_jsplib(source)
        else:
            err.print(
                f"[bold red]error:[/] {escape(repr(source))} is neither a file nor a JSPLIB "
                "instance name (ta01-ta80, la01-la40, swv01-swv20, orb01-orb10, abz5-abz9, "
                "yn1-yn4, ft06, ft10, ft20)"
            )
            raise typer.Exit(EXIT_INVALID)
        data = to_scenario_data(instance)
    except (OSError, UnicodeDecodeError, InstanceFormatError) as exc:
        err.print(f"[bold red]error:[/] cannot import {escape(str(source))}: {escape(str(exc))}")
        raise typer.Exit(EXIT_INVALID) from None
    _write_scenario(data, out_file)


@import_app.command("fjsp")
def import_fjsp(
    source: Annotated[
        Path,
        typer.Argument(
            help="A flexible-job-shop file: the benchmark folder's matrix format or "
            "Brandimarte's .fjs (detected)."
        ),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the scenario here (.yaml/.yml or JSON; default stdout)."),
    ] = None,
) -> None:
    """Import a flexible-job-shop instance as a scenario whose objective is the makespan."""
    from benchmarks.instances import InstanceFormatError, read_fjsp, to_scenario_data

    try:
        data = to_scenario_data(read_fjsp(source))
    except (OSError, UnicodeDecodeError, InstanceFormatError) as exc:
        err.print(f"[bold red]error:[/] cannot import {escape(str(source))}: {escape(str(exc))}")
        raise typer.Exit(EXIT_INVALID) from None
    _write_scenario(data, out_file)


@app.command()
def expedite(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    baseline: Annotated[Path, typer.Option(help="The published plan (JSON).")],
    order: Annotated[str, typer.Option(help="The order to expedite.")],
    due: Annotated[
        str, typer.Option(help="Requested date with UTC offset, e.g. 2026-12-05T12:00+01:00.")
    ],
    time_limit: Annotated[
        float, typer.Option(help="Seconds the preview may take.", min=0.01)
    ] = 30.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.", min=1, max=64)] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.", min=0)] = 0,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the preview JSON here (default: stdout).")
    ] = None,
) -> None:
    """Preview an expedite: can the date be met, the new plan, and who pays for it."""
    from datetime import datetime

    from engine.expedite import ExpediteError, preview
    from engine.solve import SolveParams

    loaded = _load(scenario)
    published = _load_plan(baseline)
    try:
        requested = datetime.fromisoformat(due)
    except ValueError:
        err.print(f"[bold red]error:[/] --due {due!r} is not an ISO 8601 instant")
        raise typer.Exit(EXIT_INVALID) from None
    if requested.tzinfo is None:
        err.print(f"[bold red]error:[/] --due {due!r} needs a UTC offset, e.g. +01:00")
        raise typer.Exit(EXIT_INVALID)
    params = SolveParams(time_limit=time_limit, workers=workers, seed=seed)
    try:
        result = preview(loaded, published, order, requested, params)
    except ExpediteError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    text = result.model_dump_json(indent=2)
    if out_file is not None:
        out_file.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    verdict = "can be met" if result.can_meet else "cannot be met"
    err.print(f"{order} by {requested.isoformat()}: [bold]{verdict}[/]", highlight=False)
    if result.completion is not None:
        err.print(f"  completes {result.completion.isoformat()} in the preview")
    if not result.can_meet and result.earliest_completion is not None:
        err.print(f"  earliest possible: {result.earliest_completion.isoformat()}")
    slipping = [x for x in result.orders if x.slips]
    err.print(
        f"  {len(slipping)} other order(s) slip: "
        + ", ".join(f"{x.id} (+{x.delay_minutes} min)" for x in slipping)
        if slipping
        else "  no other order slips"
    )
    b, a = result.objective_before, result.objective_after
    for term in ("total", "tardiness", "rejection", "makespan", "changeover", "stability"):
        err.print(f"  {term:<11} {getattr(b, term):12.4f} -> {getattr(a, term):12.4f}")


@app.command("compile")
def compile_loops() -> None:
    """Compile the searches' inner loops now, once after installing (else first solves do it)."""
    from engine import dispatch_kernels
    from engine.compiling import UNCACHED
    from engine.solve import tabu

    began = time.monotonic()
    for name, warm_up in (("dispatcher", dispatch_kernels.warm_up), ("tabu search", tabu.warm_up)):
        err.print(f"compiling the {name}'s inner loops (or loading them from Numba's cache)")
        try:
            warm_up()
        except Exception as exc:  # Numba's own errors, reported without a traceback
            err.print(f"[bold red]error:[/] compiling the {name}'s inner loops failed: {exc}")
            raise typer.Exit(1) from None
    seconds = time.monotonic() - began
    if UNCACHED:
        err.print(
            f"[bold yellow]compiled in {seconds:.1f} s, but Numba has nowhere to write its"
            " cache[/]: every solve compiles them again; set NUMBA_CACHE_DIR to a writable folder"
        )
        return
    err.print(f"[bold green]ready[/]: the inner loops are in Numba's cache ({seconds:.1f} s)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    examples: Annotated[
        Path | None, typer.Option(help="Folder of example scenarios (*.yaml) to store at start.")
    ] = None,
) -> None:
    """Run the planning service (settings from ORDERPLAN_* environment variables)."""
    from api.main import run

    run(host, port, examples)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
