"""Large-neighbourhood search around CP-SAT for scenarios too large to solve in one model.

Each step frees a neighbourhood — the orders around a point in time, or the
costliest orders with the ones they compete with — holds every other order
exactly where the incumbent has it (machine, start, source; a rejected order
stays rejected), and lets CP-SAT re-plan the freed orders within a time window
for a few seconds, starting from the incumbent. A better plan replaces the
incumbent; the neighbourhood grows after quick successes and shrinks after
time-outs. Held operations keep singleton domains, so the model stays small
where it matters: circuits only link held operations that are adjacent.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from fractions import Fraction

from ortools.sat.python import cp_model

from engine.build import build_model
from engine.problem import LineData, Mode, OpData, OrderData, ProblemData, starting_between
from engine.schedule import Schedule, ScheduledOp, completions, terms
from engine.solve.incumbent import Incumbent


def _held_op(op: OpData, placed: ScheduledOp) -> OpData:
    mode = next(m for m in op.modes if m.machine == placed.machine)
    s = placed.start
    staff = {
        p: [(s, s)] if any(a <= s <= b for a, b in w) else [] for p, w in mode.staff_starts.items()
    }
    # Held work keeps its people too: the orders left out of the model keep theirs, and
    # a held operation that changed crew could meet them unseen.
    return dataclasses.replace(
        op,
        modes=[Mode(mode.machine, mode.duration, [(s, s)], staff)],
        pinned=True,
        fixed_staff=tuple(placed.staff) if op.crew else op.fixed_staff,
    )


def _never(op: OpData) -> OpData:
    return dataclasses.replace(op, modes=[Mode(m.machine, m.duration, []) for m in op.modes])


def neighbourhood(
    data: ProblemData,
    schedule: Schedule,
    window: tuple[int, int],
    free_ops: set[tuple[int, int, int]],
    free_orders: set[int] = frozenset(),  # type: ignore[assignment]
) -> ProblemData:
    """The problem with everything held as ``schedule`` has it, except what is freed.

    Operations in ``free_ops`` may move within ``window`` (their orders keep their
    sources); orders in ``free_orders`` may also be accepted or rejected and switch
    between stock and production, all their operations within ``window``.
    """
    placed = {(p.order, p.line, p.position): p for p in schedule.ops}
    lo, hi = window
    orders: list[OrderData] = []
    for order in data.orders:
        if order.index in free_orders:
            lines = [
                dataclasses.replace(
                    line, ops=[op if op.pinned else starting_between(op, lo, hi) for op in line.ops]
                )
                for line in order.lines
            ]
            orders.append(dataclasses.replace(order, lines=lines))
            continue
        if not schedule.accepted[order.index]:
            lines = [
                dataclasses.replace(line, stockable=False, ops=[_never(op) for op in line.ops])
                for line in order.lines
            ]
            orders.append(dataclasses.replace(order, firm=False, lines=lines))
            continue
        held: list[LineData] = []
        for line in order.lines:
            if schedule.sources[(order.index, line.index)] == "stock":
                held.append(
                    dataclasses.replace(line, stockable=True, ops=[_never(op) for op in line.ops])
                )
                continue
            ops = []
            for op in line.ops:
                key = (order.index, line.index, op.position)
                if op.pinned:
                    ops.append(op)
                elif key in free_ops:
                    ops.append(starting_between(op, lo, hi))
                else:
                    ops.append(_held_op(op, placed[key]))
            held.append(dataclasses.replace(line, stockable=False, ops=ops))
        orders.append(dataclasses.replace(order, firm=True, lines=held))
    return dataclasses.replace(data, orders=orders)


class _Search:
    def __init__(self, data: ProblemData, incumbent: Schedule, seed: int) -> None:
        self.data = data
        self.incumbent = incumbent
        self.value = terms(data, incumbent).total
        self.rng = random.Random(seed)
        self.size = 30
        self.horizon = data.horizon

    def choose(self) -> tuple[tuple[int, int], set[tuple[int, int, int]], set[int]]:
        """A neighbourhood: a time window, the operations inside it, and orders to free whole."""
        ops = self.incumbent.ops
        rejected = [o.index for o in self.data.orders if not self.incumbent.accepted[o.index]]
        if not ops:
            return (0, self.horizon), set(), set(rejected)
        late = self._costly()
        if late and self.rng.random() < 0.5:
            anchor_order = self.rng.choice(late)
            anchor_ops = [p for p in ops if p.order == anchor_order]
            centre = self.rng.choice(anchor_ops).start if anchor_ops else self.rng.choice(ops).start
        else:
            centre = self.rng.choice(ops).start
        nearest = sorted(ops, key=lambda p: abs(p.start - centre))[: self.size]
        lo = min(p.start for p in nearest)
        hi = max(p.end for p in nearest)
        free_ops = {(p.order, p.line, p.position) for p in ops if lo <= p.start and p.end <= hi}
        free_orders: set[int] = set()
        if rejected and self.rng.random() < 0.2:
            free_orders.add(self.rng.choice(rejected))
            lo, hi = 0, self.horizon
        return (lo, hi), free_ops, free_orders

    def _costly(self) -> list[int]:
        done = completions(self.data, self.incumbent)
        late = [
            (float(o.tier_weight) * (done[o.index] - o.due), o.index)
            for o in self.data.orders
            if o.index in done and done[o.index] > o.due
        ]
        late.sort(reverse=True)
        return [i for _, i in late[:10]]


def improve(
    data: ProblemData,
    incumbent: Schedule,
    deadline: float,
    workers: int,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
    step_seconds: float = 3.0,
    shared: Incumbent | None = None,
) -> Schedule:
    """Improve a schedule by large-neighbourhood search until ``deadline`` (monotonic clock).

    With ``shared``, each step starts from the shared best plan when another search
    made it better, and every improvement is offered to it.
    """
    from engine.solve.solver import extract_schedule, hint_schedule

    search = _Search(data, incumbent, seed)
    step = 0
    while True:
        left = deadline - time.monotonic()
        if left < 1.0 or search.value == 0:
            break
        if shared is not None:
            best, value = shared.get()
            if value < search.value:
                search.incumbent, search.value = best, value
        step += 1
        window, free_ops, free_orders = search.choose()
        sub = neighbourhood(data, search.incumbent, window, free_ops, free_orders)
        sub, outside = _without_distant_orders(sub, search.incumbent, window, free_ops, free_orders)
        built = build_model(sub)
        hint_schedule(built, search.incumbent)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = min(left - 0.5, step_seconds)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed + step
        solver.parameters.cp_model_probing_level = 0
        code = solver.solve(built.model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            search.size = max(8, int(search.size * 0.8))
            continue
        candidate = _merge(search.incumbent, extract_schedule(built, solver), outside)
        value = terms(data, candidate).total
        if code == cp_model.OPTIMAL:
            search.size = min(400, int(search.size * 1.2) + 1)
        else:
            search.size = max(8, int(search.size * 0.9))
        if value < search.value:
            search.incumbent, search.value = candidate, value
            if on_improve is not None:
                on_improve(candidate, value)
            if shared is not None:
                shared.offer(candidate, value)
    return search.incumbent


def _without_distant_orders(
    data: ProblemData,
    incumbent: Schedule,
    window: tuple[int, int],
    free_ops: set[tuple[int, int, int]],
    free_orders: set[int],
) -> tuple[ProblemData, set[int]]:
    """Empty the held orders that cannot meet the freed work, keeping their material and stock.

    An order stays whole in the model when it has freed work, or held work near the
    window (within the longest operation and changeover), or is the neighbour just
    before or after the window on some machine (for changeovers). Every other order
    keeps its index but loses its lines; what its work takes from materials and stock
    is taken up front.
    """
    lo, hi = window
    pad = max((m.duration for line in data.lines for op in line.ops for m in op.modes), default=0)
    pad += max((m.changeover for m in data.machines.values()), default=0)
    keep = set(free_orders) | {key[0] for key in free_ops}
    before: dict[str, ScheduledOp] = {}
    after: dict[str, ScheduledOp] = {}
    for p in incumbent.ops:
        if p.end > lo - pad and p.start < hi + pad:
            keep.add(p.order)
        if p.end <= lo and (p.machine not in before or p.end > before[p.machine].end):
            before[p.machine] = p
        if p.start >= hi and (p.machine not in after or p.start < after[p.machine].start):
            after[p.machine] = p
    keep |= {p.order for p in before.values()} | {p.order for p in after.values()}
    outside = {o.index for o in data.orders} - keep
    if not outside:
        return data, outside
    fixed: dict[str, list[tuple[int, int]]] = {k: list(v) for k, v in data.fixed_uses.items()}
    stock = dict(data.stock)
    for p in incumbent.ops:
        if p.order in outside and p.position == 0:
            line = data.orders[p.order].lines[p.line]
            for material_id, need in line.materials.items():
                fixed.setdefault(material_id, []).append((p.start, need))
    orders: list[OrderData] = []
    for order in data.orders:
        if order.index not in outside:
            orders.append(order)
            continue
        if incumbent.accepted[order.index]:
            for line in order.lines:
                if incumbent.sources.get((order.index, line.index)) == "stock":
                    stock[line.product] = stock.get(line.product, 0) - line.quantity
        orders.append(dataclasses.replace(order, lines=[], firm=True))
    return dataclasses.replace(data, orders=orders, fixed_uses=fixed, stock=stock), outside


def _merge(incumbent: Schedule, partial: Schedule, outside: set[int]) -> Schedule:
    """The sub-model's plan for the orders it held whole, the incumbent's for the rest."""
    accepted = [
        incumbent.accepted[i] if i in outside else partial.accepted[i]
        for i in range(len(incumbent.accepted))
    ]
    sources = {k: v for k, v in incumbent.sources.items() if k[0] in outside}
    sources.update({k: v for k, v in partial.sources.items() if k[0] not in outside})
    ops = [p for p in incumbent.ops if p.order in outside]
    ops += [p for p in partial.ops if p.order not in outside]
    return Schedule(accepted, sources, ops)
