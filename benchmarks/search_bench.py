"""Greedy search benchmark: the rolling search alone against its race of first sweeps.

Generates a loaded plant, dispatches it with the first two priority rules, and
from that plan runs, for each seed, the rolling search alone (its objective at
a few marks, as a share of the dispatched plan's) and the race of first sweeps
(:func:`engine.dispatch.rolling_race`) for the same time. Each run takes one core;
``--jobs`` runs go side by side. Run::

    python -m benchmarks.search_bench --orders 500 --seconds 30 --seeds 12 --jobs 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from functools import partial

from benchmarks.generate import generate
from engine.dispatch import dispatch_order, rolling_greedy, rolling_race
from engine.io import scenario_from_data
from engine.problem import ProblemData, build_problem
from engine.schedule import Schedule

MARKS = (2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
"""Seconds at which the rolling search's best objective is reported."""


def _problem(orders: int, plant: int) -> ProblemData:
    return build_problem(scenario_from_data(generate(orders, plant, load=0.8, due_scale=0.5)))


def _marks(seconds: float) -> list[float]:
    return [m for m in MARKS if m < seconds] + [seconds]


def run_seed(orders: int, plant: int, seconds: float, seed: int) -> tuple[int, list[float], float]:
    """One seed: the rolling search's ratios at each mark and at the end, and the race's."""
    data = _problem(orders, plant)
    start = dispatch_order(data, rules=2)
    if start is None:
        raise SystemExit("the dispatcher found no plan")
    log: list[tuple[float, Fraction]] = []
    began = time.monotonic()

    def seen(_schedule: Schedule, value: Fraction) -> None:
        log.append((time.monotonic() - began, value))

    alone = rolling_greedy(data, start, began + seconds, seed, seen)
    marks = []
    for mark in _marks(seconds)[:-1]:
        values = [v for t, v in log if t <= mark]
        marks.append(float((values[-1] if values else start.value) / start.value))
    marks.append(float(alone.value / start.value))
    raced = rolling_race(data, start, time.monotonic() + seconds, seed)
    return seed, marks, float(raced.value / start.value)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--plant", type=int, default=1, help="seed of the generated plant")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, default=6, help="search seeds 0 .. N-1")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    work = partial(run_seed, args.orders, args.plant, args.seconds)
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = sorted(pool.map(work, range(args.seeds)))
    shown = _marks(args.seconds)
    print("| seed | " + " | ".join(f"rolling {m:g} s" for m in shown) + " | race |")
    print("|---" * (len(shown) + 2) + "|")
    for seed, marks, raced in rows:
        print(f"| {seed} | " + " | ".join(f"{m:.3f}" for m in marks) + f" | {raced:.3f} |")
    finals = [marks[-1] for _, marks, _ in rows]
    races = [raced for _, _, raced in rows]
    print(
        f"mean: rolling {statistics.mean(finals):.3f}, race {statistics.mean(races):.3f}; "
        f"median: rolling {statistics.median(finals):.3f}, race {statistics.median(races):.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
