"""Large-neighbourhood search that holds the order of work on machines, not its times.

Each step frees a set of operations — those around a point in time, those of
a few machines, those of a few orders, or those around the operations that
decide the objective — and holds every other operation on its machine and in
its place in that machine's sequence, as precedences between consecutive
held operations. Every start time stays free, so a step can shift a whole
chain of held work earlier: unlike holding work at fixed times, this can
shorten a makespan and pull late orders forward. CP-SAT re-solves the whole
model under those precedences for a short time, starting from the incumbent;
a plan at least as good replaces it (equal plans too: moving along a plateau
of equal makespans is how the search gets past it).

The base model is built once; each step works on a copy of it. The size of
each kind of neighbourhood adapts: it grows after a step solved to
optimality and shrinks after a step that ran out of time.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import threading
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from engine.build import BuiltModel
from engine.build.variables import OpVar
from engine.problem import ProblemData
from engine.schedule import Schedule, ScheduledOp, completions, terms
from engine.solve.incumbent import Incumbent

OpKey = tuple[int, int, int]

KINDS = ("window", "machines", "orders", "critical")
"""The kinds of neighbourhood, chosen in turn at random."""

STEP_LP_OPERATIONS = 1_000
"""Operations from which a step's CP-SAT search goes without its linear relaxation.

Loading the relaxation is not bounded by the step's time limit: on a 100 x 20
job shop (2,000 operations) a step given 0.84 s took 2.38 s, 2.16 s of it
before the search began, against 0.62 s without the relaxation, at the same
plan; a 3 s solve so returned after 4.3 s. On 600 and 750 operations
(Taillard's ta41-ta43, ta51-ta53 at 30 s) going without made no difference, and
on Brandimarte's flexible instances (up to about 300 operations) keeping it
gave plans one unit shorter on two of four, so smaller models keep it."""


def _key(p: ScheduledOp) -> OpKey:
    return (p.order, p.line, p.position)


class _Chooser:
    """Draws neighbourhoods of adaptive size around an incumbent."""

    def __init__(self, data: ProblemData, seed: int) -> None:
        self.data = data
        self.rng = random.Random(seed)
        n_ops = len(data.ops)
        start = max(8, min(60, n_ops // 4))
        self.size = dict.fromkeys(KINDS, float(start))
        self.most = max(8, n_ops)

    def choose(self, incumbent: Schedule) -> tuple[str, set[OpKey], set[int]]:
        """A kind, the operations it frees, and the orders it frees whole."""
        kind = self.rng.choice(KINDS)
        size = max(4, int(self.size[kind]))
        ops = incumbent.ops
        if not ops:
            return kind, set(), {o.index for o in self.data.orders}
        if kind == "machines":
            by_machine: dict[str, list[ScheduledOp]] = defaultdict(list)
            for p in ops:
                by_machine[p.machine].append(p)
            machines = list(by_machine)
            self.rng.shuffle(machines)
            free: set[OpKey] = set()
            for m in machines:
                if len(free) >= size:
                    break
                free |= {_key(p) for p in by_machine[m]}
            return kind, free, set()
        if kind == "orders":
            order_ids = list({p.order for p in ops})
            self.rng.shuffle(order_ids)
            per_order = max(1, len(ops) // max(1, len(order_ids)))
            chosen = set(order_ids[: max(1, size // per_order)])
            return kind, {_key(p) for p in ops if p.order in chosen}, chosen
        if kind == "critical":
            centre = self._critical_point(incumbent)
        else:
            centre = self.rng.choice(ops).start
        nearest = sorted(ops, key=lambda p: (abs(p.start - centre), self.rng.random()))[:size]
        return kind, {_key(p) for p in nearest}, set()

    def _critical_point(self, incumbent: Schedule) -> int:
        """A start minute of an operation of an order that costs the objective."""
        done = completions(self.data, incumbent)
        w = self.data.weights
        costs: list[tuple[float, int]] = []
        for o in self.data.orders:
            if o.index not in done:
                continue
            late = max(0, done[o.index] - o.due) * float(o.tier_weight) * float(w.tardiness)
            costs.append((late, o.index))
        last = max(done.values(), default=0)
        if w.makespan:
            costs += [(float(w.makespan) * last, i) for i, end in done.items() if end == last]
        costs = [c for c in costs if c[0] > 0]
        if not costs:
            return self.rng.choice(incumbent.ops).start
        costs.sort(reverse=True)
        order = self.rng.choice(costs[: max(1, min(10, len(costs)))])[1]
        mine = [p for p in incumbent.ops if p.order == order]
        return self.rng.choice(mine).start if mine else self.rng.choice(incumbent.ops).start

    def feedback(self, kind: str, solved: bool) -> None:
        """Grow a kind's size after an optimal step, shrink it after a time-out."""
        factor = 1.15 if solved else 0.85
        self.size[kind] = min(float(self.most), max(4.0, self.size[kind] * factor))


def hold_sequences(
    built: BuiltModel, incumbent: Schedule, free_ops: set[OpKey], free_orders: set[int]
) -> None:
    """Constrain ``built.model`` to keep the incumbent except what is freed.

    Orders not freed keep their acceptance and the sources of their lines; held
    operations keep their machine and their order among the held operations of
    that machine. Start times and crews stay free.
    """
    model = built.model
    ops: dict[OpKey, OpVar] = {
        (op.data.order, op.data.line, op.data.position): op for op in built.vars.ops
    }
    for order in built.vars.orders:
        if order.index in free_orders:
            continue
        on = incumbent.accepted[order.index]
        model.add(order.accepted == int(on))
        for line in order.lines:
            produce = on and incumbent.sources.get((order.index, line.data.index)) == "production"
            model.add(line.produce == int(produce))
    by_machine: dict[str, list[ScheduledOp]] = defaultdict(list)
    for p in incumbent.ops:
        key = _key(p)
        if key in free_ops or p.order in free_orders:
            continue
        op = ops[key]
        for mode in op.modes:
            if mode.machine == p.machine and mode.chosen is not op.present:
                model.add(mode.chosen == 1)
        by_machine[p.machine].append(p)
    for placed in by_machine.values():
        placed.sort(key=lambda p: (p.start, p.end))
        for a, b in itertools.pairwise(placed):
            model.add(ops[_key(b)].start >= ops[_key(a)].end)


def improve_sequences(
    base: BuiltModel,
    shared: Incumbent,
    deadline: float,
    workers: int,
    seed: int,
    step_seconds: float = 2.0,
    stop: threading.Event | None = None,
) -> None:
    """Improve the shared incumbent by sequence-holding neighbourhood search until ``deadline``.

    Parameters
    ----------
    base
        The whole model of the problem, as :func:`engine.build.build_model` made it;
        it is copied, never changed.
    shared
        The best plan so far, which other searches may improve at the same time:
        each step starts from it when it is better than this search's own.
    deadline
        Monotonic clock time at which to stop.
    workers, seed
        CP-SAT workers for each step and the seed of the search.
    step_seconds
        Time limit of one step.
    stop
        Set by the caller to end the search after its current step.
    """
    from engine.solve.solver import extract_schedule, hint_schedule

    data = base.data
    chooser = _Chooser(data, seed)
    incumbent, value = shared.get()
    step = 0
    while value > 0:
        left = deadline - time.monotonic()
        if left < 0.2 or (stop is not None and stop.is_set()):
            break
        best, best_value = shared.get()
        if best_value < value:
            incumbent, value = best, best_value
        step += 1
        kind, free_ops, free_orders = chooser.choose(incumbent)
        built = dataclasses.replace(base, model=base.model.clone())
        built.model.clear_hints()
        hold_sequences(built, incumbent, free_ops, free_orders)
        hint_schedule(built, incumbent)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = min(left - 0.1, step_seconds)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed + step
        if len(data.ops) >= STEP_LP_OPERATIONS:
            solver.parameters.linearization_level = 0
        code = solver.solve(built.model)
        chooser.feedback(kind, code == cp_model.OPTIMAL)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        candidate = extract_schedule(built, solver)
        candidate_value = terms(data, candidate).total
        if candidate_value <= value:
            incumbent, value = candidate, candidate_value
            shared.offer(candidate, value)
