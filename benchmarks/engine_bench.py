"""Engine benchmark on generated plant scenarios: time to first plan, objective, peak memory.

Each size is solved in a fresh process (so peak memory is that solve's own),
through the same path as ``orderplan solve``; every plan is verified by the
independent checker. Run::

    python -m benchmarks.engine_bench --orders 500 2000 --time-limit 60 --workers 2
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.generate import generate

_CHILD = r"""
import json, resource, sys, time
t0 = time.monotonic()
from engine.io import load_scenario
from engine.solve import SolveParams, solve
from engine.check import check_plan
scenario = load_scenario(sys.argv[1])
loaded = time.monotonic() - t0
events = []
def progress(p):
    events.append({"t": time.monotonic() - t0, "objective": p.objective, "source": p.source})
result = solve(scenario, SolveParams(time_limit=float(sys.argv[2]), workers=int(sys.argv[3]),
               seed=0, method=sys.argv[4]), on_progress=progress)
report = check_plan(scenario, result.plan)
print(json.dumps({
    "status": result.status.value, "objective": result.plan.objective.total,
    "bound": result.plan.bound, "load_seconds": loaded, "events": events,
    "seconds": time.monotonic() - t0, "checker_ok": report.ok,
    "violations": len(report.violations),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_one(path: Path, time_limit: float, workers: int, method: str) -> dict[str, Any]:
    """Solve one scenario file in a child process and return its measurements."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(time_limit), str(workers), method],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(
        f"# {time.strftime('%Y-%m-%d')} {platform.machine()} python {platform.python_version()}, "
        f"{args.workers} workers, {args.time_limit:g} s"
    )
    print(
        "| orders | operations | first plan (s) | dispatch objective | objective after limit "
        "| ratio | bound | status | peak memory (MB) | checker |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for orders in args.orders:
        data = generate(orders, args.seed)
        operations = sum(
            len(next(p for p in data["products"] if p["id"] == line["product"])["routing"])
            for o in data["orders"]
            for line in o["lines"]
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"plant-{orders}.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            cp = run_one(path, args.time_limit, args.workers, "cp")
            heuristic = run_one(path, args.time_limit, args.workers, "dispatch")
        first = cp["events"][0]["t"] if cp["events"] else float("nan")
        ratio = cp["objective"] / heuristic["objective"] if heuristic["objective"] else 1.0
        print(
            f"| {orders} | {operations} | {first:.1f} | {heuristic['objective']:.1f} "
            f"| {cp['objective']:.1f} | {ratio:.2f} | "
            f"{cp['bound'] if cp['bound'] is None else round(cp['bound'], 1)} | {cp['status']} "
            f"| {cp['peak_mb']:.0f} | {'ok' if cp['checker_ok'] else 'FAIL'} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
