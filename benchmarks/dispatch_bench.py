"""Dispatch benchmark: the dispatcher in Python against its compiled loops.

Generates loaded plants, dispatches each in the order of orders of its best
first priority rule, in Python and by the compiled loops
(:mod:`engine.dispatch_kernels`), checks that the plans are identical, and
prints the best of ``--repeats`` timings of each: the whole dispatch with the
plan built, and the compiled loops' placing alone. Run::

    python -m benchmarks.dispatch_bench --orders 500 --orders 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from benchmarks.search_bench import _problem
from engine import dispatch
from engine import dispatch_kernels as kernels


def _best(repeats: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def _row(orders: int, plant: int, repeats: int) -> str:
    """One plant's table row."""
    data = _problem(orders, plant)
    start = dispatch.dispatch_order(data, rules=2)
    if start is None:
        raise SystemExit(f"the dispatcher found no plan for {orders} orders")
    sequence = start.sequence
    clock = time.perf_counter()
    kernels.pack(data, dispatch._fresh_state(data))
    pack = time.perf_counter() - clock
    packed = dispatch._packed(data)
    assert packed is not None
    compiled = dispatch._run(data, sequence)
    python = dispatch._run_python(data, sequence, None, None, 0, None)
    same = (
        compiled is not None
        and python is not None
        and compiled.ops == python.ops
        and compiled.accepted == python.accepted
        and compiled.sources == python.sources
    )
    state, order = packed.state(), np.asarray(sequence, dtype=np.int64)

    def placing() -> None:
        kernels.thaw(packed.initial, state)
        kernels.dispatch(packed.plant, state, order, 0, len(order))

    seconds_python = _best(
        repeats, lambda: dispatch._run_python(data, sequence, None, None, 0, None)
    )
    seconds_compiled = _best(repeats, lambda: dispatch._run(data, sequence))
    seconds_placing = _best(repeats, placing)
    ops = sum(len(line.ops) for line in data.lines)
    return (
        f"| {orders} | {ops} | {seconds_python:.3f} s | {seconds_compiled:.3f} s "
        f"| {seconds_placing:.3f} s | {pack:.2f} s | {'yes' if same else 'NO'} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, action="append", help="repeatable (500, 2000)")
    parser.add_argument("--plant", type=int, default=1, help="seed of the generated plant")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    began = time.monotonic()
    if not kernels.wait(began + 600):
        raise SystemExit("the compiled loops did not compile")
    print(f"compiled loops ready in {time.monotonic() - began:.1f} s (Numba's cache or compiling)")
    print("| orders | operations | Python | compiled | compiled, placing only | pack | same plan |")
    print("|---|---|---|---|---|---|---|")
    for orders in args.orders or [500, 2000]:
        print(_row(orders, args.plant, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
