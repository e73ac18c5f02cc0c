"""Service benchmark: concurrent synchronous solves through HTTP against direct ``solve()``.

Starts the service with its embedded settings (SQLite store, one solve at a
time, two CP-SAT workers per solve unless told otherwise) with uvicorn on a
free port of 127.0.0.1, then fires ``--requests`` concurrent ``POST /v1/solve``
calls of a generated plant scenario and reports latency percentiles,
throughput, and the overhead of the service over calling ``solve()`` directly
on the same scenario with the same parameters. Every plan is verified with the
independent checker.

Example::

    python -m benchmarks.api_bench --orders 10 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.generate import generate
from engine.check import check_plan
from engine.io import scenario_from_data
from engine.model import Plan
from engine.solve import SolveParams, solve

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def direct(data: dict[str, Any], params: SolveParams, repeats: int) -> list[float]:
    """Seconds of ``repeats`` direct solves (validation included), in this process."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = solve(scenario_from_data(data), params)
        times.append(time.perf_counter() - started)
        assert result.has_plan, result.reasons
    return times


async def fire(
    base: str, key: str, body: dict[str, Any], count: int
) -> tuple[list[float], list[dict[str, Any]], float]:
    """``count`` concurrent synchronous solves: latencies, answers and the wall time."""
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:

        async def one() -> tuple[float, dict[str, Any]]:
            started = time.perf_counter()
            response = await client.post("/v1/solve", json=body, headers={"X-API-Key": key})
            took = time.perf_counter() - started
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            return took, answer

        started = time.perf_counter()
        results = await asyncio.gather(*(one() for _ in range(count)))
        wall = time.perf_counter() - started
    return [r[0] for r in results], [r[1] for r in results], wall


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Return once the service answers its health check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the service exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the service did not start in time")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--concurrent-solves", type=int, default=1, help="max_concurrent_solves")
    parser.add_argument("--workers", type=int, default=2, help="workers_per_solve")
    parser.add_argument("--direct-repeats", type=int, default=10)
    args = parser.parse_args(argv)

    data = generate(args.orders, args.seed)
    scenario = scenario_from_data(data)
    params = SolveParams(time_limit=args.time_limit, workers=args.workers, seed=0)
    direct_times = direct(data, params, args.direct_repeats)

    key = secrets.token_urlsafe(16)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    body = {"scenario": data, "time_limit": args.time_limit, "workers": args.workers, "seed": 0}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ORDERPLAN_DATABASE_URL": f"sqlite:///{tmp}/orderplan.db",
            "ORDERPLAN_API_KEYS": json.dumps({key: "service"}),
            "ORDERPLAN_MAX_CONCURRENT_SOLVES": str(args.concurrent_solves),
            "ORDERPLAN_WORKERS_PER_SOLVE": str(args.workers),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "api", "127.0.0.1", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(base, server)
            # One call first, so the solver processes are started (and warm) before timing.
            warm, _, _ = asyncio.run(fire(base, key, body, args.concurrent_solves))
            single, _, _ = asyncio.run(fire(base, key, body, 1))
            sequential = [asyncio.run(fire(base, key, body, 1))[0][0] for _ in range(4)]
            latencies, answers, wall = asyncio.run(fire(base, key, body, args.requests))
        finally:
            server.terminate()
            server.wait(30)

    statuses = [a["status"] for a in answers]
    checked = sum(check_plan(scenario, Plan.model_validate(a["plan"])).ok for a in answers)
    objectives = {round(a["objective"], 6) for a in answers}
    direct_median = statistics.median(direct_times)
    one_call = statistics.median(single + sequential)
    throughput = args.requests / wall
    print(
        f"# {time.strftime('%Y-%m-%d')} {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; {args.orders} orders (seed {args.seed}), "
        f"{args.requests} concurrent POST /v1/solve, max_concurrent_solves "
        f"{args.concurrent_solves}, workers_per_solve {args.workers}, time limit "
        f"{args.time_limit:g} s"
    )
    print(f"succeeded: {statuses.count('completed')}/{args.requests}, checker ok: {checked}")
    print(f"objectives: {sorted(objectives)}")
    print(f"first call (starts a solver process): {warm[0]:.3f} s")
    print(f"direct solve(): median {direct_median:.3f} s over {len(direct_times)} runs")
    print(f"one call at a time: median {one_call:.3f} s")
    print(f"overhead of one call over direct solve(): {one_call - direct_median:.3f} s")
    print(
        f"latency under load: p50 {percentile(latencies, 0.50):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
    )
    print(f"throughput: {throughput:.2f} solves/s (wall {wall:.1f} s)")
    per_solve = wall / args.requests * args.concurrent_solves
    print(
        f"service time per solve under load: {per_solve:.3f} s "
        f"({per_solve - direct_median:+.3f} s over direct solve())"
    )
    return 0 if statuses.count("completed") == args.requests == checked else 1


if __name__ == "__main__":
    raise SystemExit(main())
