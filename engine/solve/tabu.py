"""Tabu search on machine sequences for plans where only the makespan counts.

When a problem is a (flexible) job shop — machines open around the clock, no
staff, materials, stock, changeovers or baseline, every order firm, and a
makespan objective alone — a plan is fully described by the sequence of work
on each machine, and its best start times are the earliest ones the
sequences allow. This module searches those sequences directly, in the
classical way for job shops: each step moves an operation of a block of the
critical path (a run of critical operations on one machine) to the block's
front or back, or the block's first or last operation inside it (the N7
neighbourhood of Zhang et al.), chosen by an estimate of the makespan after
the move, with recently reversed orders forbidden for a few steps. After a
long run without improvement it restarts from its best sequences, lightly
perturbed, or from a better plan found elsewhere.

In a flexible job shop a step may also move an operation of the critical
path to another of its machines, at the place in that machine's sequence
where the longest path through it is shortest among the places that cannot
close a cycle (the neighbourhood of Mastrolilli and Gambardella, with heads
and tails taken as they are); moving it back stays forbidden for a few steps.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.compiling import in_background
from engine.problem import ProblemData
from engine.schedule import Schedule, ScheduledOp
from engine.solve import tabu_kernels as k

STALL = 40_000
"""Steps without a new best after which the search restarts from its best sequences."""

TENURE = (8, 14)
"""Least range of steps for which a reversed order, or a machine left, stays forbidden.

A shop of L lines uses ``(max(8, L // 2), max(14, L))``: on Taillard's instances
at 10 s, 15 x 15 did best with 8 to 14 steps, 30 x 20 with 16 to 30 (4% shorter
plans there than with 8 to 14)."""

PUBLISH = 0.25
"""Seconds between hand-overs of an improved plan to ``on_improve`` (the last one always goes)."""


def applies(data: ProblemData) -> bool:
    """Whether a plan of ``data`` is fully described by its machine sequences.

    True for makespan-only objectives over firm orders whose operations need
    no staff, materials or stock, on machines without changeovers whose
    every operation may start any time from its order's release.
    """
    w = data.weights
    if not w.makespan or w.tardiness or w.changeover:
        return False
    if data.baseline or data.freeze is not None or data.fixed_uses:
        return False
    for order in data.orders:
        if not order.firm and (w.rejection and order.value):
            return False
        if not order.firm:
            return False
        for line in order.lines:
            if line.stockable or line.materials or not line.ops:
                return False
            for op in line.ops:
                if op.pinned or op.candidates or op.crew or op.fixed_staff:
                    return False
                for mode in op.modes:
                    if len(mode.starts) != 1:
                        return False
                    changeover = data.machines[mode.machine].changeover
                    if changeover and op.family is not None:
                        return False
    return True


Mode = tuple[int, int, int, int]
"""One eligible machine of an operation: ``(machine, duration, release, latest start)``."""


@dataclass
class _Shop:
    """A problem's operations as arrays: line links, eligible machines and the current choice.

    ``machine``, ``dur``, ``release`` and ``latest`` follow the machine each
    operation is on now (see :meth:`assign`); machines are numbered as in ``names``,
    which is also the numbering of the sequences. ``modes[v, q]`` is the machine,
    duration and release of operation ``v``'s ``q``-th eligible machine.
    """

    keys: list[tuple[int, int, int]]
    names: list[str]
    options: list[list[Mode]]
    modes: np.ndarray
    nmodes: np.ndarray
    machine: np.ndarray
    dur: np.ndarray
    release: np.ndarray
    latest: np.ndarray
    jprev: np.ndarray
    jnext: np.ndarray

    @classmethod
    def of(
        cls,
        keys: list[tuple[int, int, int]],
        names: list[str],
        options: list[list[Mode]],
        jprev: list[int],
        jnext: list[int],
    ) -> _Shop:
        """A shop with no machine chosen yet (see :meth:`assign`)."""
        n = len(keys)
        width = max((len(o) for o in options), default=1)
        modes = np.zeros((n, width, 3), np.int64)
        for v, own in enumerate(options):
            for q, (m, d, r, _) in enumerate(own):
                modes[v, q] = (m, d, r)
        return cls(
            keys,
            names,
            options,
            modes,
            np.array([len(o) for o in options], np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.array(jprev, np.int64),
            np.array(jnext, np.int64),
        )

    def assign(self, op: int, machine: int) -> None:
        """Put an operation on one of its eligible machines."""
        m, d, r, latest = next(mode for mode in self.options[op] if mode[0] == machine)
        self.machine[op], self.dur[op], self.release[op], self.latest[op] = m, d, r, latest


def _shop(data: ProblemData, schedule: Schedule) -> tuple[_Shop, list[list[int]]]:
    """The shop of ``data`` with the machines of ``schedule``, and its machine sequences."""
    names = sorted({m.machine for op in data.ops for m in op.modes})
    number = {name: m for m, name in enumerate(names)}
    keys: list[tuple[int, int, int]] = []
    options: list[list[Mode]] = []
    jprev: list[int] = []
    jnext: list[int] = []
    for line in data.lines:
        first = len(keys)
        for q, op in enumerate(line.ops):
            keys.append((line.order, line.index, op.position))
            options.append(
                [
                    (number[m.machine], m.duration, m.starts[0][0], m.starts[0][1])
                    for m in op.modes
                    if m.starts
                ]
            )
            jprev.append(first + q - 1 if q else -1)
            jnext.append(first + q + 1 if q < len(line.ops) - 1 else -1)
    shop = _Shop.of(keys, names, options, jprev, jnext)
    index = {key: i for i, key in enumerate(keys)}
    sequences: list[list[int]] = [[] for _ in names]
    for p in sorted(schedule.ops, key=lambda p: (p.start, p.end)):
        i = index[(p.order, p.line, p.position)]
        shop.assign(i, number[p.machine])
        sequences[number[p.machine]].append(i)
    return shop, sequences


class _Graph:
    """Machine sequences of a shop with their links, heads (earliest starts) and tails."""

    def __init__(self, shop: _Shop, sequences: list[list[int]]) -> None:
        n = len(shop.keys)
        self.shop = shop
        self.sequences = [list(seq) for seq in sequences]
        self.position: dict[int, tuple[int, int]] = {}
        self.mprev = np.full(n, -1, np.int64)
        self.mnext = np.full(n, -1, np.int64)
        self.mfirst = np.full(len(shop.names), -1, np.int64)
        self.head = np.zeros(n, np.int64)
        self.tail = np.zeros(n, np.int64)
        self._order = np.zeros(n, np.int64)
        self.path = np.zeros(n, np.int64)
        for m in range(len(self.sequences)):
            self._relink(m)
        self.cmax = -1
        if not self.evaluate():
            raise ValueError("machine sequences contradict the routings")

    def _relink(self, m: int, lo: int = 0, hi: int | None = None) -> None:
        """Links and positions of machine ``m``'s sequence from index ``lo`` to ``hi``."""
        seq = self.sequences[m]
        self.mfirst[m] = seq[0] if seq else -1
        for j in range(max(0, lo), min(len(seq), len(seq) if hi is None else hi)):
            op = seq[j]
            self.position[op] = (m, j)
            self.mprev[op] = seq[j - 1] if j else -1
            self.mnext[op] = seq[j + 1] if j + 1 < len(seq) else -1

    def evaluate(self) -> bool:
        """Recompute heads, tails and the makespan; False when the sequences close a cycle."""
        s = self.shop
        self.cmax = k.evaluate(
            s.dur, s.release, s.jprev, s.jnext, self.mprev, self.mnext,
            self.head, self.tail, self._order,
        )  # fmt: skip
        return self.cmax >= 0

    def critical_path(self) -> np.ndarray:
        """Operations of one longest path, in order."""
        s = self.shop
        length = k.critical_path(
            s.dur, self.head, self.tail, s.jprev, self.mprev, self.cmax, self.path
        )
        return self.path[:length]

    def moves(self, path: np.ndarray) -> np.ndarray:
        """Candidate moves around a critical path (rows as in :mod:`engine.solve.tabu_kernels`)."""
        s = self.shop
        rows = np.zeros((len(path) * (4 + s.modes.shape[1]) + 1, 5), np.int64)
        count = k.block_moves(
            path, len(path), s.dur, self.head, self.tail, s.release,
            s.jprev, s.jnext, self.mprev, self.mnext, rows,
        )  # fmt: skip
        count = k.machine_moves(
            path, len(path), s.dur, self.head, self.tail, s.jprev, s.jnext,
            self.mnext, self.mfirst, s.machine, s.modes, s.nmodes, rows, count,
        )  # fmt: skip
        return rows[:count]

    def apply(self, row: np.ndarray, path: np.ndarray) -> Callable[[], None] | None:
        """Make a move and return how to undo it; undo it at once and return None on a cycle."""
        kind, x, a, b = (int(v) for v in row[:4])
        s = self.shop
        if kind == k.REASSIGN:
            old, j = self.position[x]
            del self.sequences[old][j]
            self.sequences[a].insert(b, x)
            s.assign(x, a)
            self._relink(old, j - 1)
            self._relink(a, b - 1)

            def undo() -> None:
                del self.sequences[a][b]
                self.sequences[old].insert(j, x)
                s.assign(x, old)
                self._relink(old, j - 1)
                self._relink(a, b - 1)
                self.evaluate()

        else:
            others = [int(w) for w in path[a:b]]
            m, first = self.position[others[0] if kind == k.FRONT else x]
            seq = self.sequences[m]
            kept = seq[first : first + len(others) + 1]
            seq[first : first + len(kept)] = [x, *others] if kind == k.FRONT else [*others, x]
            # Only the run and its two neighbours change links.
            span = (first - 1, first + len(kept) + 1)
            self._relink(m, *span)

            def undo() -> None:
                seq[first : first + len(kept)] = kept
                self._relink(m, *span)
                self.evaluate()

        if self.evaluate():
            return undo
        undo()
        return None


def _reversed_arcs(row: np.ndarray, path: np.ndarray) -> list[tuple[int, int]]:
    """The orders ``(earlier, later)`` that a block move reverses, as they were."""
    kind, x, a, b = (int(v) for v in row[:4])
    if kind == k.FRONT:
        return [(int(w), x) for w in path[a:b]]
    return [(x, int(w)) for w in path[a:b]]


def _to_schedule(
    shop: _Shop, head: np.ndarray, machine: np.ndarray, dur: np.ndarray, template: Schedule
) -> Schedule:
    ops = [
        ScheduledOp(
            order,
            line,
            position,
            shop.names[int(machine[i])],
            (),
            int(head[i]),
            int(head[i] + dur[i]),
        )
        for i, (order, line, position) in enumerate(shop.keys)
    ]
    return Schedule(list(template.accepted), dict(template.sources), ops)


ORDERS = 1 << 22
"""Most cells of the table of forbidden orders (exact up to 2,048 operations)."""


class _Tabu:
    """The forbidden moves: orders of two operations, and machines left."""

    def __init__(self, shop: _Shop) -> None:
        n, machines = len(shop.keys), len(shop.names)
        self.n = n
        self.forbidden = np.zeros(min(n * n, ORDERS), np.int64)
        self.left = np.zeros((n, machines), np.int64)

    def forbid_orders(self, orders: list[tuple[int, int]], until: int) -> None:
        """Forbid each ``(earlier, later)`` order until a step."""
        size = len(self.forbidden)
        for a, b in orders:
            self.forbidden[k.cell(a, b, self.n, size)] = until

    def clear(self) -> None:
        """Forbid nothing."""
        self.forbidden[:] = 0
        self.left[:] = 0


def tabu_search(
    data: ProblemData,
    start: Schedule,
    deadline: float,
    seed: int,
    on_improve: Callable[[Schedule], None] | None = None,
    restart_from: Callable[[], Schedule | None] | None = None,
    stop_at: int | None = None,
) -> Schedule:
    """Search the machine sequences of ``start`` for a shorter makespan until ``deadline``.

    Parameters
    ----------
    data
        A problem for which :func:`applies` holds.
    start
        A feasible schedule: its machines and sequences are the first.
    deadline
        Monotonic clock time at which to stop.
    seed
        Seed of the tie-breaking, tenures and perturbations.
    on_improve
        Called with every schedule that is shorter than any before it in this search.
    restart_from
        Asked at every restart for a better schedule found elsewhere; ``None`` keeps
        the search's own best.
    stop_at
        A makespan at which to stop. The search also stops at a makespan that no
        plan beats (see :func:`_floor`) and when nothing on the critical path can move.

    Returns
    -------
    Schedule
        The shortest schedule found (``start`` when none was shorter).
    """
    rng = random.Random(seed)
    coin = np.random.default_rng(seed).random(1021)
    shop, sequences = _shop(data, start)
    graph = _Graph(shop, sequences)
    best_value, best_sequences = graph.cmax, [list(s) for s in graph.sequences]
    best_machines = shop.machine.copy()
    best_schedule = start
    # The best plan's arrays, turned into a schedule only when it is handed over.
    best_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    published = time.monotonic()

    def publish() -> None:
        nonlocal best_schedule, best_arrays, published
        if best_arrays is not None:
            best_schedule = _to_schedule(shop, *best_arrays, start)
            best_arrays = None
            published = time.monotonic()
            if on_improve is not None:
                on_improve(best_schedule)

    tabu = _Tabu(shop)
    lines = sum(1 for prev in shop.jprev if prev < 0)
    tenure = (max(TENURE[0], lines // 2), max(TENURE[1], lines))
    step = stall = 0
    floor = max(_floor(shop), stop_at or 0)
    while best_value > floor and time.monotonic() < deadline:
        step += 1
        stall += 1
        path = graph.critical_path().copy()
        rows = graph.moves(path)
        r = k.choose(rows, len(rows), path, tabu.forbidden, tabu.left, step, best_value, coin)
        if r < 0:
            # Nothing on the critical path can move: no step leads anywhere from here.
            break
        row = rows[r]
        until = step + rng.randint(*tenure)
        x, old = int(row[1]), int(shop.machine[row[1]])
        if graph.apply(row, path) is None:
            # The move would close a cycle: forbid it instead.
            if row[0] == k.REASSIGN:
                tabu.left[x, row[2]] = until
            else:
                tabu.forbid_orders([(b, a) for a, b in _reversed_arcs(row, path)], until)
            continue
        if row[0] == k.REASSIGN:
            tabu.left[x, old] = until
        else:
            tabu.forbid_orders(_reversed_arcs(row, path), until)
        if graph.cmax < best_value and bool(np.all(graph.head <= shop.latest)):
            best_value = graph.cmax
            best_arrays = (graph.head.copy(), shop.machine.copy(), shop.dur.copy())
            best_sequences = [list(s) for s in graph.sequences]
            best_machines = best_arrays[1]
            stall = 0
            if time.monotonic() - published >= PUBLISH:
                publish()
        if stall >= STALL:
            stall = 0
            publish()
            tabu.clear()
            elsewhere = restart_from() if restart_from is not None else None
            if elsewhere is not None:
                shop, sequences = _shop(data, elsewhere)
                graph = _Graph(shop, sequences)
                tabu = _Tabu(shop)
                best_sequences = [list(s) for s in graph.sequences]
                best_machines = shop.machine.copy()
                best_value, best_schedule = graph.cmax, elsewhere
            else:
                for op, machine in enumerate(best_machines):
                    shop.assign(op, int(machine))
                graph = _perturb(_Graph(shop, best_sequences), rng)
    publish()
    return best_schedule


_warm = threading.Event()
"""Set when the warm-up thread has ended, compiled or not."""
_warming = threading.Lock()
_warm_started = False
_warm_ok = False


def warm_up_in_background() -> None:
    """Start :func:`warm_up` in a thread of its own, once per process.

    A solve calls this before CP-SAT works, so that the first tabu search after
    installing does not spend the solve's time compiling (see :func:`ready`).
    """
    global _warm_started
    with _warming:
        if _warm_started:
            return
        _warm_started = True

    def run() -> None:
        global _warm_ok
        try:
            warm_up()
            _warm_ok = True
        finally:
            _warm.set()

    in_background(run, "orderplan-warm-up")


def ready(deadline: float | None = None) -> bool:
    """Whether the inner loops are compiled, waiting for them until ``deadline`` at most.

    Without ``deadline`` it does not wait. A search that would otherwise block on
    compiling past its deadline asks this first; the compiling starts here if no
    solve has started it yet.
    """
    warm_up_in_background()
    if deadline is not None:
        _warm.wait(max(0.0, deadline - time.monotonic()))
    return _warm.is_set() and _warm_ok


def warming() -> bool:
    """Whether the inner loops are being compiled in the background right now.

    A short-lived process (the command line) waits for them before it exits, so
    that Numba's disk cache holds them for the next solve.
    """
    return _warm_started and not _warm.is_set()


def warm_up() -> None:
    """Compile the inner loops on a tiny shop, or load them from Numba's disk cache."""
    shop = _Shop.of(
        [(0, 0, 0), (0, 0, 1), (1, 0, 0), (1, 0, 1)],
        ["a", "b"],
        [[(0, 3, 0, 99), (1, 4, 0, 99)], [(1, 2, 0, 99)], [(1, 3, 0, 99)], [(0, 2, 0, 99)]],
        [-1, 0, -1, 2],
        [1, -1, 3, -1],
    )
    for op, machine in enumerate((0, 1, 1, 0)):
        shop.assign(op, machine)
    graph = _Graph(shop, [[0, 3], [2, 1]])
    path = graph.critical_path().copy()
    rows = graph.moves(path)
    tabu = _Tabu(shop)
    k.choose(rows, len(rows), path, tabu.forbidden, tabu.left, 1, graph.cmax, np.zeros(1))
    tabu.forbid_orders([(0, 3)], 1)


def _floor(shop: _Shop) -> int:
    """A makespan no plan beats: the longest line and the busiest machine, on the shortest modes.

    Operations with one machine count on that machine; all work counts, spread
    evenly, over the machines that can take it.
    """
    shortest = [min(mode[1] for mode in own) for own in shop.options]
    earliest = [min(mode[2] for mode in own) for own in shop.options]
    load = [0] * len(shop.names)
    for own, minutes in zip(shop.options, shortest, strict=True):
        if len(own) == 1:
            load[own[0][0]] += minutes
    usable = len({mode[0] for own in shop.options for mode in own})
    spread = -(-sum(shortest) // max(1, usable))
    longest = 0
    for i, prev in enumerate(shop.jprev):
        if prev < 0:
            end, j = earliest[i], i
            while j >= 0:
                end = max(end, earliest[j]) + shortest[j]
                j = int(shop.jnext[j])
            longest = max(longest, end)
    return max(longest, spread, *load, 0)


def _perturb(graph: _Graph, rng: random.Random) -> _Graph:
    """The graph after a few random moves around its critical paths (none that closes a cycle)."""
    for _ in range(6):
        path = graph.critical_path().copy()
        rows = graph.moves(path)
        if not len(rows):
            break
        graph.apply(rows[rng.randrange(len(rows))], path)
    return graph
