"""A fast dispatching heuristic: serial schedule generation in priority order.

Orders are taken by a priority rule (tier-weighted due date); each line is
served from stock while stock lasts, otherwise its operations are placed one
after the other at the earliest time where machine, crew, calendars,
changeovers and materials allow, choosing the machine that finishes first.
Optional orders are rejected when they do not fit or cost more late than
their value. The result hints CP-SAT and stands alone (``--method dispatch``).
"""

from __future__ import annotations

import bisect
import math
import operator
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

import numpy as np

from engine import dispatch_kernels as kernels
from engine.problem import LineData, Mode, OpData, OrderData, ProblemData, first_start
from engine.schedule import Schedule, ScheduledOp, completions, terms


@dataclass
class _Timeline:
    """Busy intervals of one resource, sorted by start: ``(start, end, family)``."""

    busy: list[tuple[int, int, str | None]] = field(default_factory=list)

    def free_from(self, start: int, duration: int, family: str | None, changeover: int) -> int:
        """The earliest start from ``start`` at which ``duration`` minutes meet no busy interval."""
        busy = self.busy
        i = bisect.bisect_left(busy, (start, -1, None))
        if i > 0:
            _, b, fam = busy[i - 1]
            gap = changeover if _differ(fam, family) else 0
            if start < b + gap:
                start = b + gap
        n = len(busy)
        while i < n:
            a, b, fam = busy[i]
            gap = changeover if _differ(fam, family) else 0
            if start + duration + gap <= a:
                break
            if start < b + gap:
                start = b + gap
            i += 1
        return start

    def add(self, start: int, end: int, family: str | None) -> None:
        bisect.insort(self.busy, (start, end, family))

    def remove(self, start: int, end: int, family: str | None) -> None:
        self.busy.remove((start, end, family))


def _enough(
    on_hand: int,
    receipts: list[tuple[int, int]],
    taken: list[tuple[int, int]],
    start: int,
    need: int,
) -> bool:
    """Whether ``need`` more taken at ``start`` leaves no shortfall then or later.

    ``receipts`` and ``taken`` are sorted ``(minute, quantity)`` lists; receipts of a
    minute arrive before that minute's takings.
    """
    level = on_hand - need
    i = j = 0
    nr, nt = len(receipts), len(taken)
    while i < nr and receipts[i][0] <= start:
        level += receipts[i][1]
        i += 1
    while j < nt and taken[j][0] <= start:
        level -= taken[j][1]
        j += 1
    if level < 0:
        return False
    # Receipts only raise the level: it is lowest right after a minute's takings.
    while j < nt:
        t = taken[j][0]
        while i < nr and receipts[i][0] <= t:
            level += receipts[i][1]
            i += 1
        while j < nt and taken[j][0] == t:
            level -= taken[j][1]
            j += 1
        if level < 0:
            return False
    return True


_range_end = operator.itemgetter(1)
_NEVER = 1 << 62
"""Later than any minute of a plan."""


def _differ(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


@dataclass
class _State:
    data: ProblemData
    machines: dict[str, _Timeline]
    people: dict[str, _Timeline]
    stock: dict[str, int]
    consumed: dict[str, list[tuple[int, int]]]
    """Each material's takings ``(minute, quantity)``, sorted."""

    def material_ok(self, line: LineData, start: int) -> int | None:
        """None if the line's materials can be taken at ``start``, else a later time to try."""
        later: int | None = None
        for material_id, need in line.materials.items():
            material = self.data.materials.get(material_id)
            if material is None:
                continue
            taken = self.consumed[material_id]
            if not _enough(material.on_hand, material.receipts, taken, start, need):
                after = [t for t, _ in material.receipts if t > start]
                if not after:
                    return -1
                later = max(later or 0, after[0])
        return later


def _place(
    state: _State, op: OpData, line: LineData, earliest: int
) -> tuple[Mode, int, tuple[str, ...]] | None:
    """Earliest (mode, start, crew) for an operation, trying every eligible machine.

    An operation of the published plan goes back where it was when that still fits.
    """
    ref = state.data.baseline.get((line.order, line.index, op.position))
    expedited = state.data.orders[line.order].expedited
    if ref is not None and ref.start >= earliest and not expedited:
        for mode in op.modes:
            if mode.machine == ref.machine:
                found = _place_on(state, op, line, mode, ref.start, ref.staff)
                if found is not None and found[0] == ref.start:
                    return mode, found[0], found[1]
    best: tuple[Mode, int, tuple[str, ...]] | None = None
    for mode in op.modes:
        # Only a mode that finishes sooner than the best so far can replace it.
        limit = None if best is None else best[1] + best[0].duration - mode.duration
        found = _place_on(state, op, line, mode, earliest, limit=limit)
        if found is not None:
            best = (mode, found[0], found[1])
    return best


def _place_on(
    state: _State,
    op: OpData,
    line: LineData,
    mode: Mode,
    earliest: int,
    prefer: tuple[str, ...] = (),
    limit: int | None = None,
) -> tuple[int, tuple[str, ...]] | None:
    """The earliest (start, crew) on ``mode`` from ``earliest``, starting before ``limit``."""
    timeline = state.machines[mode.machine]
    changeover = state.data.machines[mode.machine].changeover
    d = mode.duration
    t = earliest
    ordered = op.candidates
    if prefer:
        # People named in ``prefer`` (the published crew) are asked first.
        ordered = [p for p in prefer if p in op.candidates]
        ordered += [p for p in op.candidates if p not in ordered]
    narrowed = mode.staff_starts
    people = state.people
    ready = [earliest] * len(ordered)
    for _ in range(100_000):
        s = first_start(mode.starts, t)
        if s is None or (limit is not None and s >= limit):
            return None
        free = timeline.free_from(s, d, op.family, changeover)
        if free != s:
            t = free
            continue
        crew: list[str] = []
        if op.crew:
            # The earliest time one of those not free at s could be.
            soonest = _NEVER
            for k, person in enumerate(ordered):
                r = ready[k]
                # Above s: known not to be free before then (nothing is booked meanwhile).
                if r <= s:
                    own = narrowed.get(person)
                    # Inlined first_start: this loop is the dispatcher's hottest.
                    w = -1 if own is None else bisect.bisect_left(own, s, key=_range_end)
                    if own is not None and w == len(own):
                        r = _NEVER
                    elif own is not None and own[w][0] > s:
                        r = own[w][0]
                    else:
                        busy = people[person].busy
                        i = bisect.bisect_left(busy, (s, -1, None))
                        if i and busy[i - 1][1] > s:
                            r = busy[i - 1][1]
                        elif i < len(busy) and busy[i][0] < s + d:
                            r = busy[i][1]
                        else:
                            crew.append(person)
                            if len(crew) == op.crew:
                                break
                            continue
                    ready[k] = r
                if r < soonest:
                    soonest = r
            short = op.crew - len(crew)
            if short == 1:
                if soonest == _NEVER:
                    return None
                t = soonest
                continue
            if short > 1:
                # Before the short-th earliest time another could start, too few are free.
                later = sorted(r for r in ready if s < r < _NEVER)
                if len(later) < short:
                    return None
                t = later[short - 1]
                continue
        if op.position == 0 and line.materials:
            supplied = state.material_ok(line, s)
            if supplied == -1:
                return None
            if supplied is not None:
                t = max(supplied, s + 1)
                continue
        return s, tuple(crew)
    return None


def _schedule_line(state: _State, order: OrderData, line: LineData) -> list[ScheduledOp] | None:
    placed: list[ScheduledOp] = []
    t = order.release
    for op in line.ops:
        if op.fixed_staff is not None:
            # Frozen baseline work was booked before any order was dispatched.
            mode, start = op.modes[0], op.modes[0].starts[0][0]
            if start < t:
                _undo(state, placed)
                return None
            placed.append(
                ScheduledOp(
                    order.index,
                    line.index,
                    op.position,
                    mode.machine,
                    op.fixed_staff,
                    start,
                    start + mode.duration,
                )
            )
            t = start + mode.duration
            continue
        found = _place(state, op, line, t)
        if found is None:
            _undo(state, placed)
            return None
        mode, start, crew = found
        end = start + mode.duration
        state.machines[mode.machine].add(start, end, op.family)
        for person in crew:
            state.people[person].add(start, end, None)
        if op.position == 0:
            for material_id, need in line.materials.items():
                if material_id in state.consumed:
                    bisect.insort(state.consumed[material_id], (start, need))
        placed.append(
            ScheduledOp(order.index, line.index, op.position, mode.machine, crew, start, end)
        )
        t = end
    return placed


def _undo(state: _State, placed: list[ScheduledOp]) -> None:
    data = state.data
    for p in placed:
        op = data.orders[p.order].lines[p.line].ops[p.position]
        if op.fixed_staff is not None:
            continue
        state.machines[p.machine].remove(p.start, p.end, op.family)
        for person in p.staff:
            state.people[person].remove(p.start, p.end, None)
        if p.position == 0:
            line = data.orders[p.order].lines[p.line]
            for material_id, need in line.materials.items():
                if material_id in state.consumed:
                    state.consumed[material_id].remove((p.start, need))


Rule = Callable[[OrderData], tuple[float, ...]]


class Stop(Protocol):
    """What tells a search to end: a thread's or a process's event."""

    def is_set(self) -> bool:
        """Whether the search should end."""
        ...


def _work(o: OrderData) -> int:
    """Shortest total processing time of an order's lines (its least possible work)."""
    return sum(
        min((m.duration for m in op.modes if m.starts), default=0)
        for line in o.lines
        if not line.stockable
        for op in line.ops
    )


def _rules(data: ProblemData) -> list[Rule]:
    """Priority rules, most useful first; each with optional orders mixed in, then last.

    Mixed in comes first: dispatched last, optional orders find the plant full and
    are rejected (on a generated plant of 2,000 orders that cost seven times the
    objective of mixing them in)."""
    day = 8 * 60

    def weighted_due(o: OrderData) -> tuple[float, ...]:
        return (o.due - day * float(o.tier_weight), o.release, o.index)

    def due(o: OrderData) -> tuple[float, ...]:
        return (o.due, o.release, o.index)

    def weighted_slack(o: OrderData) -> tuple[float, ...]:
        slack = o.due - o.release - _work(o)
        return (slack / max(float(o.tier_weight), 1e-3), o.due, o.index)

    def strong_weighted_due(o: OrderData) -> tuple[float, ...]:
        return (o.due - 3 * day * float(o.tier_weight), o.release, o.index)

    def release(o: OrderData) -> tuple[float, ...]:
        return (o.release, o.due, o.index)

    base = [weighted_due, due, weighted_slack, strong_weighted_due, release]
    if data.baseline or any(op.fixed_staff is not None for line in data.lines for op in line.ops):
        first: dict[int, int] = {}
        for (o, _, _), ref in data.baseline.items():
            first[o] = min(first.get(o, ref.start), ref.start)
        for line in data.lines:
            for op in line.ops:
                if op.fixed_staff is not None:
                    start = op.modes[0].starts[0][0]
                    first[line.order] = min(first.get(line.order, start), start)

        def as_published(o: OrderData) -> tuple[float, ...]:
            # An expedited order goes first; the rest keep the published order of work.
            return (not o.expedited, first.get(o.index, data.horizon + o.due), o.due, o.index)

        base.insert(0, as_published)
    rules: list[Rule] = []
    for rule in base:
        rules.append(rule)
        rules.append(_optional_last(rule))
    return rules


def _optional_last(rule: Rule) -> Rule:
    def key(o: OrderData) -> tuple[float, ...]:
        return (not o.firm, *rule(o))

    return key


@dataclass(frozen=True)
class Dispatched:
    """A dispatched plan with the order of orders that produced it."""

    schedule: Schedule
    sequence: list[int]
    """Indices of the orders in the order they were dispatched."""
    value: Fraction
    """The schedule's objective total."""


ALWAYS_TRIED = 2
"""Rules tried whatever the budget: the first priority order with optional orders
mixed in and dispatched last."""


def dispatch(
    data: ProblemData,
    rules: int | None = None,
    budget: float | None = None,
    improve: float | None = None,
    seed: int = 0,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
) -> Schedule | None:
    """Build a plan by serial dispatching; None when some firm order cannot be placed.

    Parameters
    ----------
    data
        The problem on its minute grid.
    rules
        How many priority rules to try at most (the best schedule is kept).
    budget
        Seconds after which no further rule is started (the first two always run).
    improve
        Seconds of greedy search on the best rule's order of orders (see
        :func:`improve_order`).
    seed
        Random seed of that search.
    on_improve
        Called with the best rule's schedule, then with each better one the search
        finds, and its objective.
    """
    found = dispatch_order(data, rules, budget, improve, seed, on_improve)
    return None if found is None else found.schedule


def dispatch_order(
    data: ProblemData,
    rules: int | None = None,
    budget: float | None = None,
    improve: float | None = None,
    seed: int = 0,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
) -> Dispatched | None:
    """:func:`dispatch`, returning the order of orders too, so a search can go on from it."""
    candidates = _rules(data)
    count = rules if rules is not None else len(candidates)
    started = time.monotonic()
    best: Dispatched | None = None
    for k, rule in enumerate(candidates[:count]):
        if k >= ALWAYS_TRIED and budget is not None and time.monotonic() - started > budget:
            break
        sequence = [o.index for o in sorted(data.orders, key=rule)]
        schedule = _run(data, sequence)
        if schedule is None:
            continue
        value = terms(data, schedule).total
        if best is None or value < best.value:
            best = Dispatched(schedule, sequence, value)
    if best is None:
        return None
    if on_improve is not None:
        on_improve(best.schedule, best.value)
    if improve is not None and improve > 0:
        best = improve_order(data, best, time.monotonic() + improve, seed, on_improve)
    return best


def improve_order(
    data: ProblemData,
    start: Dispatched,
    deadline: float,
    seed: int = 0,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
) -> Dispatched:
    """The dispatcher's own search on the order of orders, alone, before any other.

    :func:`rolling_greedy` on large plants; below :data:`ROLLING_FROM` orders
    :func:`iterated_greedy`, which stops after :data:`STALL_LIMIT` trials without a
    better plan. ``on_improve`` is called with each better plan.
    """
    if start.value <= 0:
        return start
    if len(start.sequence) >= ROLLING_FROM:
        return rolling_greedy(data, start, deadline, seed, on_improve)
    return iterated_greedy(data, start, deadline, seed, on_improve, stall_limit=STALL_LIMIT)


STALL_LIMIT = 300
"""Trials without a better plan after which the dispatcher's own search stops."""

PICK_FLOOR = 16
"""An order is picked for a move in proportion to its cost plus the mean cost over this."""

SNAPSHOTS = 20
"""Snapshots of the dispatcher's state the greedy search keeps along the order of orders."""


def iterated_greedy(
    data: ProblemData,
    start: Dispatched,
    deadline: float,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
    *,
    stall_limit: int | None = None,
    stop: Stop | None = None,
    restart: Callable[[], list[int] | None] | None = None,
    restart_after: int = 50,
) -> Dispatched:
    """Improve the order of orders: take out a few orders, put them back earlier or later.

    Orders that cost most (late and heavy, or rejected) are taken out more often;
    a changed order that is no worse is kept, so the search drifts across plateaus.

    Parameters
    ----------
    data
        The problem on its minute grid.
    start
        The plan to start from, with its order of orders.
    deadline
        Monotonic clock time at which to stop.
    seed
        Random seed.
    on_improve
        Called with each strictly better schedule and its objective total.
    stall_limit
        Stop after this many trials without a strictly better plan (default: never).
    stop
        Set by another thread (or, in a process of its own, by the parent) to end
        the search after its current trial.
    restart
        Called after ``restart_after`` trials without a strictly better plan; the
        search goes on from the order of orders it returns (if any, and if it
        gives a plan), which may be worse.
    restart_after
        Trials without a strictly better plan before each call of ``restart``.

    Returns
    -------
    Dispatched
        The best plan found (``start`` if none is better).
    """
    rng = random.Random(seed)
    value, sequence = start.value, start.sequence
    prices = _prices(data)
    cost = _cost_array(data, start.schedule)
    best = start
    n = len(sequence)
    if n < 2:
        return best
    # Snapshots of the current sequence's dispatch: a trial re-dispatches only from
    # the last snapshot before the first order it moves.
    every = max(1, n // SNAPSHOTS)
    snaps: list[Snapshot] | None = None
    # How often each place in the sequence is picked: its order's cost in the current plan.
    weights: list[float] | None = None
    stall = 0
    while time.monotonic() < deadline and best.value > 0:
        if stop is not None and stop.is_set():
            break
        if stall_limit is not None and stall >= stall_limit:
            break
        if restart is not None and stall >= restart_after:
            stall = 0
            other = restart()
            if other is not None:
                other_snaps: list[Snapshot] = []
                found = _whole(data, other, None, other_snaps, every)
                if found is not None:
                    value, sequence, cost = found.value, other, found.cost
                    snaps, weights = other_snaps, None
        if snaps is None:
            snaps = []
            _run(data, sequence, snapshots=snaps, every=every)
        if weights is None:
            weights = _pick_weights(cost, sequence, prices.scale)
        stall += 1
        k = rng.randint(1, min(4, n - 1))
        picked = set()
        for _ in range(k):
            picked.add(rng.choices(range(n), weights=weights)[0])
        moved = [sequence[p] for p in sorted(picked)]
        rest = [o for p, o in enumerate(sequence) if p not in picked]
        for order in moved:
            here = sequence.index(order)
            span = max(1, n // 4)
            position = max(0, min(len(rest), here + rng.randint(-span, span // 2)))
            rest.insert(position, order)
        first = next((i for i, (a, b) in enumerate(zip(rest, sequence, strict=True)) if a != b), n)
        if first == n:
            continue
        resume = _resume_point(snaps, first)
        fresh_snaps: list[Snapshot] = []
        # The plan itself is built only when it is the best so far.
        trial = _whole(data, rest, resume, fresh_snaps, every, best.value)
        if trial is None:
            continue
        if trial.value <= value:
            value, sequence, cost = trial.value, rest, trial.cost
            kept = resume.position if resume is not None else 0
            snaps = [x for x in snaps if x.position <= kept] + fresh_snaps
            weights = None
            if trial.schedule is not None:
                best = Dispatched(trial.schedule, sequence, value)
                stall = 0
                if on_improve is not None:
                    on_improve(trial.schedule, value)
    return best


ROLLING_FROM = 300
"""Orders from which :func:`order_search` searches a window of the order at a time."""

WINDOW = 200
"""Most orders in the rolling search's window."""

TRIES = 0.7
"""Trials per window of the rolling search, per order of the window (at least 20),
where lateness and rejection make up at least half of the start's objective."""

TRIES_UNLED = 0.2
"""Trials per window of the rolling search, per order of the window, elsewhere."""

FRONTIER_FROM = 1_000
"""Orders from which the rolling search keeps a trial that costs its window's orders
the same only if it leaves the machines booked no further (see :func:`rolling_greedy`).

On a loaded plant of 2,000 orders such moves, free for the window's orders (mostly on
time once the first sweep has passed), left the whole plan 10-70% worse, and most
windows after the first sweep were undone by the whole dispatch; with the rule the
median of 60 s solves fell from 13,406 to 12,646 (seeds 0-2). On 500 orders, whose
sweeps take seconds, the moves serve the search: with the rule it ended 12% higher."""

REACH = 0.5
"""How far past its window, in windows, the rolling search's trials dispatch."""


def order_search(
    data: ProblemData,
    start: Dispatched,
    deadline: float,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
    *,
    stop: Stop | None = None,
    restart: Callable[[], list[int] | None] | None = None,
) -> Dispatched:
    """The greedy search on the order of orders that suits the plant's size.

    From :data:`ROLLING_FROM` orders, :func:`rolling_race` (the rolling search,
    whose trials cost a window's dispatch, from the best of several first sweeps);
    below, :func:`iterated_greedy`, whose trials see the whole plan. Parameters and
    result are those of both.
    """
    search = rolling_race if len(start.sequence) >= ROLLING_FROM else iterated_greedy
    return search(data, start, deadline, seed, on_improve, stop=stop, restart=restart)


RACE_SHARE = 0.3
"""Share of its time :func:`rolling_race` gives to first sweeps from the start."""

RACE_MOST = 8
"""Most first sweeps :func:`rolling_race` runs."""


def rolling_race(
    data: ProblemData,
    start: Dispatched,
    deadline: float,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
    *,
    stop: Stop | None = None,
    restart: Callable[[], list[int] | None] | None = None,
) -> Dispatched:
    """:func:`rolling_greedy` from the best of several first sweeps.

    From one start, runs of the rolling search with different seeds end their
    first sweep along the order of orders far apart, and a run mostly keeps its
    rank afterwards: on a loaded plant of 500 orders eight runs stood at 0.61
    to 0.82 of the start's objective after 2.5 s and at 0.56 to 0.64 after 30 s,
    mostly in the same order (``python -m benchmarks.search_bench``). So first
    sweeps with seeds of their own take up to :data:`RACE_SHARE` of the time (as
    many as fit, at most :data:`RACE_MOST`), and the search goes on from the best
    of them. Where one sweep takes most of
    the time (on 2,000 orders in a minute), this is the rolling search alone.

    Parameters and result are those of :func:`rolling_greedy`; ``restart`` is
    called only once the race is over.
    """
    if start.value <= 0:
        return start
    began = time.monotonic()
    reported = start.value

    def report(schedule: Schedule, value: Fraction) -> None:
        # Only plans better than any of the race so far.
        nonlocal reported
        if value < reported:
            reported = value
            if on_improve is not None:
                on_improve(schedule, value)

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    best = rolling_greedy(data, start, deadline, seed, report, stop=stop, sweeps=1)
    lap = time.monotonic() - began
    runs = min(RACE_MOST, int(RACE_SHARE * (deadline - began) / max(lap, 1e-6)))
    for k in range(1, runs):
        if stopped() or time.monotonic() + lap >= deadline:
            break
        other = rolling_greedy(data, start, deadline, seed + 7919 * k, report, stop=stop, sweeps=1)
        if other.value < best.value:
            best = other
    # A first sweep that ended at the deadline leaves less than a whole dispatch.
    if stopped() or deadline - time.monotonic() < lap / 4:
        return best
    return rolling_greedy(data, best, deadline, seed, report, stop=stop, restart=restart)


def rolling_greedy(
    data: ProblemData,
    start: Dispatched,
    deadline: float,
    seed: int,
    on_improve: Callable[[Schedule, Fraction], None] | None = None,
    *,
    stop: Stop | None = None,
    restart: Callable[[], list[int] | None] | None = None,
    restart_after: int = 50,
    window: int | None = None,
    sweeps: int | None = None,
) -> Dispatched:
    """The iterated greedy search a window of the order of orders at a time, for large plants.

    The window rolls along the order of orders. Each trial moves a few orders of
    the window, picked by cost as :func:`iterated_greedy` does, within the window,
    and dispatches only up to half a window past it: orders dispatched by then are
    placed as a whole dispatch would place them (later orders never move them), so
    their cost is exact, and a trial that costs them no more is kept. Where
    lateness and rejection lead, from :data:`FRONTIER_FROM` orders, one that costs
    them the same is kept only if it
    leaves the machines booked no further (the sum over machines of the minute
    each is last busy until, up to where the trial dispatched): the many orders past
    that point, which the trial does not see, need the room.
    After the window's trials the whole order is dispatched once and kept if the
    plan is no worse. A trial thus costs a window's dispatch, not the rest of the
    plan's: on 2,000 orders about a tenth.

    Parameters
    ----------
    data
        The problem on its minute grid.
    start
        The plan to start from, with its order of orders.
    deadline
        Monotonic clock time at which to stop.
    seed
        Random seed.
    on_improve
        Called with each strictly better schedule and its objective total.
    stop
        Set by another thread, or by the parent process, to end the search after
        its current trial.
    restart
        Called at the end of a window after ``restart_after`` trials without a
        strictly better plan; the search goes on from the order of orders it
        returns if that gives a plan no worse than the search's own.
    restart_after
        Trials without a strictly better plan before each call of ``restart``.
    window
        Orders in the window (default: a fifth of the orders, 50 to :data:`WINDOW`).
    sweeps
        Stop after the window has rolled along the whole order this many times
        (default: only at the deadline).

    Returns
    -------
    Dispatched
        The best plan found (``start`` if none is better).
    """
    rng = random.Random(seed)
    n = len(start.sequence)
    size = min(n, window or max(50, min(WINDOW, n // 5)))
    reach = size + int(REACH * size)
    best = start
    if n < 2:
        return best
    # Finer snapshots than the whole-order search's: trials resume close to the window.
    every = max(1, n // (4 * SNAPSHOTS))
    sequence = list(start.sequence)
    snaps: list[Snapshot] = []
    clock = time.monotonic()
    schedule = _run(data, sequence, snapshots=snaps, every=every)
    # The longest a window's whole dispatch takes: the search leaves time for it.
    whole = time.monotonic() - clock
    if schedule is None:
        return best
    parts = terms(data, schedule)
    value = parts.total
    # Where lateness and rejection lead, trials see what they change; elsewhere they
    # are blind moves that the whole dispatch judges, and fewer per window pass.
    led = 2 * (parts.tardiness + parts.rejection) >= value
    tries = max(20, int(size * (TRIES if led else TRIES_UNLED)))
    prices = _prices(data)
    cost = _cost_array(data, schedule)
    lo, stall, swept = 0, 0, 0
    while time.monotonic() + whole < deadline and best.value > 0:
        if stop is not None and stop.is_set():
            break
        if restart is not None and stall >= restart_after:
            stall = 0
            other = restart()
            if other is not None:
                other_snaps: list[Snapshot] = []
                found = _whole(data, other, None, other_snaps, every)
                # Dispatched again, the other plan is mostly worse than it was: it is
                # taken up only when no worse than this search's own.
                if found is not None and found.value <= value:
                    value, sequence, cost = found.value, other, found.cost
                    snaps = other_snaps
        end, horizon = min(n, lo + size), min(n, lo + reach)
        before, before_snaps, before_cost = list(sequence), list(snaps), cost.copy()
        changed = False
        front: int | None = None
        if led and n >= FRONTIER_FROM:
            # The machines' frontier with the window's orders as they stand, to the horizon.
            now = _trial(data, sequence[:horizon], _resume_point(snaps, lo), [], 0, end, [])
            front = None if now is None else now.frontier
        for _ in range(tries):
            # The window's last trial leaves time for the whole dispatch after it.
            if time.monotonic() + whole >= deadline or (stop is not None and stop.is_set()):
                break
            stall += 1
            weights = _pick_weights(cost, sequence[lo:end], prices.scale)
            rest = _moved(rng, sequence, weights, lo, end)
            first = next((i for i in range(lo, end) if rest[i] != sequence[i]), None)
            if first is not None:
                resume = _resume_point(snaps, first)
                begin = resume.position if resume is not None else 0
                fresh: list[Snapshot] = []
                # Later trials of this window resume before its end, never past it.
                tried = rest[begin:horizon]
                trial = _trial(data, rest[:horizon], resume, fresh, every, end, tried)
                if trial is None:
                    continue
                at = np.asarray(tried, dtype=np.int64)
                new, old = trial.cost.sum(), cost[at].sum()
                if new < old or (new == old and (front is None or trial.frontier <= front)):
                    sequence = rest
                    snaps = [x for x in snaps if x.position <= begin] + fresh
                    cost[at] = trial.cost
                    if front is not None:
                        front = trial.frontier
                    changed = True
        if changed:
            settled = _settle(data, sequence, snaps, lo, every, value, best.value)
            if settled is None:
                sequence, snaps, cost = before, before_snaps, before_cost
            else:
                value, snaps, cost, schedule_found = settled
                if schedule_found is not None:
                    best = Dispatched(schedule_found, list(sequence), value)
                    stall = 0
                    if on_improve is not None:
                        on_improve(schedule_found, value)
        lo += size // 2
        if lo + 1 >= n:
            lo = 0
            swept += 1
            if sweeps is not None and swept >= sweeps:
                break
    return best


def _settle(
    data: ProblemData,
    sequence: list[int],
    snaps: list[Snapshot],
    lo: int,
    every: int,
    value: Fraction,
    best: Fraction,
) -> tuple[Fraction, list[Snapshot], np.ndarray, Schedule | None] | None:
    """The whole dispatch of ``sequence``, changed from position ``lo`` on, if its
    objective is no worse than ``value``: its objective, snapshots and order costs,
    and its plan if it is better than ``best``; else None."""
    resume = _resume_point(snaps, lo)
    begin = resume.position if resume is not None else 0
    fresh: list[Snapshot] = []
    # The plan itself is built only when it is the best so far.
    plan = _whole(data, sequence, resume, fresh, every, best)
    if plan is None or plan.value > value:
        return None
    kept = [x for x in snaps if x.position <= begin] + fresh
    return plan.value, kept, plan.cost, plan.schedule


def _resume_point(snaps: list[Snapshot], position: int) -> Snapshot | None:
    """The last snapshot at or before ``position``, from which a dispatch can resume;
    of two at one position, the compiled loops' (the Python one is from before they
    were ready)."""
    return max(
        (x for x in snaps if x.position <= position),
        key=lambda x: (x.position, isinstance(x, _CompiledSnapshot)),
        default=None,
    )


def _moved(
    rng: random.Random, sequence: list[int], weights: list[float], lo: int, end: int
) -> list[int]:
    """``sequence`` with one to four orders of ``sequence[lo:end]``, picked by ``weights``,
    taken out and put back elsewhere in that window, mostly earlier."""
    size = end - lo
    picked = {lo + rng.choices(range(size), weights=weights)[0] for _ in range(rng.randint(1, 4))}
    moved = [sequence[p] for p in sorted(picked)]
    rest = list(sequence)
    for p in sorted(picked, reverse=True):
        del rest[p]
    for order in moved:
        here = sequence.index(order, lo, end)
        position = here + rng.randint(-size, size // 2)
        rest.insert(max(lo, min(end - len(moved), position)), order)
    return rest


def _pick_weights(cost: np.ndarray, orders: list[int], scale: int) -> list[float]:
    """How often each of ``orders`` is picked for a move: its cost (an array of every
    order's, as :class:`_Prices` scales them) over ``scale``, plus a floor."""
    values = [float(c / scale) for c in cost[np.asarray(orders, dtype=np.int64)].tolist()]
    # Orders that cost nothing are picked too, now and then: moving them later
    # makes room as much as moving late ones earlier does.
    floor = max(sum(values) / len(values) / PICK_FLOOR, 1e-3)
    return [v + floor for v in values]


def _costs_of(
    data: ProblemData, schedule: Schedule, orders: Iterable[int], placed: list[ScheduledOp]
) -> dict[int, Fraction]:
    """The tardiness and rejection costs of ``orders``, whose operations are all in ``placed``."""
    w = data.weights
    last: dict[tuple[int, int], int] = {}
    for p in placed:
        key = (p.order, p.line)
        if last.get(key, -1) < p.end:
            last[key] = p.end
    cost: dict[int, Fraction] = {}
    for i in orders:
        order = data.orders[i]
        if not schedule.accepted[i]:
            cost[i] = w.rejection * order.value
            continue
        done = max(
            last[(i, line.index)]
            if schedule.sources[(i, line.index)] == "production"
            else order.stock_completion
            for line in order.lines
        )
        cost[i] = w.tardiness * order.tier_weight * Fraction(max(0, done - order.due), 60)
    return cost


def completion_order(data: ProblemData, schedule: Schedule) -> list[int]:
    """The orders in the order ``schedule`` completes them, rejected orders last.

    Dispatched in this order they give a plan the greedy search can go on from,
    which may be worse than ``schedule``.
    """
    done = completions(data, schedule)
    return sorted(
        range(len(data.orders)),
        key=lambda i: (not schedule.accepted[i], done.get(i, data.orders[i].release), i),
    )


def _order_costs(data: ProblemData, schedule: Schedule) -> dict[int, Fraction]:
    """Each order's share of the tardiness and rejection terms."""
    return _costs_of(data, schedule, range(len(data.orders)), schedule.ops)


@dataclass(frozen=True)
class _Snapshot:
    """The dispatcher's state after the first ``position`` orders of a sequence."""

    position: int
    machines: dict[str, list[tuple[int, int, str | None]]]
    people: dict[str, list[tuple[int, int, str | None]]]
    stock: dict[str, int]
    consumed: dict[str, list[tuple[int, int]]]
    accepted: list[bool]
    sources: dict[tuple[int, int], str]
    ops: list[ScheduledOp]

    @classmethod
    def take(
        cls,
        position: int,
        state: _State,
        accepted: list[bool],
        sources: dict[tuple[int, int], str],
        ops: list[ScheduledOp],
    ) -> _Snapshot:
        return cls(
            position,
            {m: list(t.busy) for m, t in state.machines.items()},
            {p: list(t.busy) for p, t in state.people.items()},
            dict(state.stock),
            {m: list(c) for m, c in state.consumed.items()},
            list(accepted),
            dict(sources),
            list(ops),
        )

    def restore(
        self, data: ProblemData
    ) -> tuple[_State, list[bool], dict[tuple[int, int], str], list[ScheduledOp]]:
        state = _State(
            data,
            {m: _Timeline(list(b)) for m, b in self.machines.items()},
            {p: _Timeline(list(b)) for p, b in self.people.items()},
            dict(self.stock),
            {m: list(c) for m, c in self.consumed.items()},
        )
        return state, list(self.accepted), dict(self.sources), list(self.ops)


@dataclass(frozen=True)
class _CompiledSnapshot:
    """The compiled dispatcher's state after the first ``position`` orders of a sequence."""

    position: int
    frozen: kernels.Frozen


Snapshot = _Snapshot | _CompiledSnapshot
"""A dispatch's state part way along a sequence, Python's or the compiled loops'."""

_PER_PROBLEM: dict[int, tuple[weakref.ref[ProblemData], dict[str, object]]] = {}
_PER_PROBLEM_LOCK = threading.Lock()


def _per_problem(data: ProblemData, name: str, make: Callable[[], object]) -> object:
    """What ``make`` gives for ``data``, made once per problem object and kept while it lives."""
    key, table = id(data), _PER_PROBLEM
    with _PER_PROBLEM_LOCK:
        entry = table.get(key)
        if entry is None or entry[0]() is not data:

            def forget(ref: weakref.ref[ProblemData]) -> None:
                # Bound to the table itself: it may run while the interpreter shuts down.
                if key in table and table[key][0] is ref:
                    del table[key]

            entry = (weakref.ref(data, forget), {})
            table[key] = entry
        made = entry[1]
    if name not in made:
        made[name] = make()
    return made[name]


def _packed(data: ProblemData) -> kernels.Packed | None:
    """``data`` packed for the compiled loops once they are compiled, else None."""
    if not kernels.ready():
        return None
    packed = _per_problem(data, "packed", lambda: kernels.pack(data, _fresh_state(data)))
    assert isinstance(packed, kernels.Packed)
    return packed


def _dispatch_compiled(
    packed: kernels.Packed,
    sequence: list[int],
    resume: Snapshot | None,
    snapshots: list[Snapshot] | None,
    every: int,
    until: int | None,
) -> kernels.State | None:
    """:func:`_run` by the compiled loops, leaving the plan in the returned state.

    A Python snapshot (taken before the loops were ready) is not resumed from: the
    dispatch starts over, and takes compiled snapshots from the start too, which
    later dispatches resume from instead (see :func:`_resume_point`).
    """
    state = packed.state()
    n = len(sequence)
    if isinstance(resume, _CompiledSnapshot):
        kernels.thaw(resume.frozen, state)
        begin = resume.position
    else:
        kernels.thaw(packed.initial, state)
        begin = 0
    cuts: list[int] = []
    if snapshots is not None and every:
        last = n if until is None else min(n, until)
        cuts = list(range((begin // every + 1) * every, last, every))
    order = np.asarray(sequence, dtype=np.int64)
    position = begin
    for cut in [*cuts, n]:
        if cut <= position:
            continue
        if not kernels.dispatch(packed.plant, state, order, position, cut):
            return None
        if cut < n and snapshots is not None:
            snapshots.append(_CompiledSnapshot(cut, kernels.freeze(state)))
        position = cut
    return state


def _schedule_of(packed: kernels.Packed, state: kernels.State, sequence: list[int]) -> Schedule:
    """The plan the compiled loops left in ``state`` after dispatching ``sequence``."""
    accepted = [False] * packed.orders
    sources: dict[tuple[int, int], str] = {}
    ops: list[ScheduledOp] = []
    taken, src = state.accepted.tolist(), state.line_src.tolist()
    machine, start, end = state.op_machine.tolist(), state.op_start.tolist(), state.op_end.tolist()
    staff_off, staff_len = state.op_staff_off.tolist(), state.op_staff_len.tolist()
    staff = state.op_staff.tolist()
    machines, people = packed.machines, packed.people
    for o in sequence:
        if not taken[o]:
            continue
        accepted[o] = True
        for index, line, own in packed.layout[o]:
            if src[line] == kernels.STOCK:
                sources[(o, index)] = "stock"
                continue
            sources[(o, index)] = "production"
            for g, position in own:
                a = staff_off[g]
                crew = tuple(people[p] for p in staff[a : a + staff_len[g]])
                ops.append(
                    ScheduledOp(o, index, position, machines[machine[g]], crew, start[g], end[g])
                )
    return Schedule(accepted, sources, ops)


@dataclass(frozen=True)
class _Prices:
    """Orders' lateness and rejection costs as integers: the objective's times ``scale``.

    The rolling search adds and compares the costs of hundreds of orders per
    trial; as integers it does so exactly and without building fractions.
    """

    scale: int
    per_minute: np.ndarray
    rejection: np.ndarray
    due: np.ndarray

    @classmethod
    def of(cls, data: ProblemData) -> _Prices:
        w = data.weights
        late = [w.tardiness * o.tier_weight / 60 for o in data.orders]
        rejected = [w.rejection * o.value for o in data.orders]
        scale = math.lcm(1, *(f.denominator for f in late + rejected))
        per_minute = [int(f * scale) for f in late]
        rejection = [int(f * scale) for f in rejected]
        # Machine integers where the costs of all orders add up within them, else
        # Python's (exact at any size, slower).
        most = max([0, *rejection, *(c * (2 * data.horizon + 1) for c in per_minute)])
        kind = np.int64 if (len(late) + 1) * most < 2**62 else object
        return cls(
            scale,
            np.asarray(per_minute, dtype=kind),
            np.asarray(rejection, dtype=kind),
            np.asarray([o.due for o in data.orders], dtype=kind),
        )

    def costs(self, orders: np.ndarray, done: np.ndarray) -> np.ndarray:
        """The costs of ``orders`` completed at ``done`` (-1: rejected)."""
        late = np.maximum(done - self.due[orders], 0)
        return np.where(done < 0, self.rejection[orders], self.per_minute[orders] * late)

    def array(self, costs: dict[int, Fraction], orders: Iterable[int]) -> np.ndarray:
        """The scaled costs of ``orders``, in their order, as :meth:`costs` gives them."""
        return np.asarray([int(costs[o] * self.scale) for o in orders], dtype=self.per_minute.dtype)


def _cost_array(data: ProblemData, schedule: Schedule) -> np.ndarray:
    """Every order's scaled tardiness or rejection cost in ``schedule`` (see :class:`_Prices`)."""
    return _prices(data).array(_order_costs(data, schedule), range(len(data.orders)))


def _prices(data: ProblemData) -> _Prices:
    prices = _per_problem(data, "prices", lambda: _Prices.of(data))
    assert isinstance(prices, _Prices)
    return prices


@dataclass(frozen=True)
class _Tried:
    """A trial's dispatch as the rolling search judges it."""

    cost: np.ndarray
    """The scaled costs (:class:`_Prices`) of the orders asked for, in their order."""
    frontier: int
    """The sum over machines of the minute each is last busy until."""


def _trial(
    data: ProblemData,
    sequence: list[int],
    resume: Snapshot | None,
    snapshots: list[Snapshot],
    every: int,
    until: int,
    orders: list[int],
) -> _Tried | None:
    """Dispatch as :func:`_run` does: the costs of ``orders``, which must all be
    dispatched after ``resume``, and the machines' frontier; None when a firm order
    does not fit."""
    packed = _packed(data)
    prices = _prices(data)
    if packed is not None:
        state = _dispatch_compiled(packed, sequence, resume, snapshots, every, until)
        if state is None:
            return None
        picked = np.asarray(orders, dtype=np.int64)
        cost = prices.costs(picked, kernels.completions(packed.plant, state, picked))
        return _Tried(cost, int(kernels.frontier(packed.plant, state)))
    schedule = _run(data, sequence, resume, snapshots, every, until)
    if schedule is None:
        return None
    placed = schedule.ops[len(resume.ops) :] if isinstance(resume, _Snapshot) else schedule.ops
    cost = prices.array(_costs_of(data, schedule, orders, placed), orders)
    return _Tried(cost, _frontier(data, schedule))


def _frontier(data: ProblemData, schedule: Schedule) -> int:
    """The sum over machines of the minute each is last busy until, with ``schedule``'s
    operations and those fixed beforehand (as :func:`kernels.frontier` gives it)."""
    fixed = _per_problem(data, "fixed ends", lambda: _fixed_ends(data))
    assert isinstance(fixed, dict)
    last = dict.fromkeys(data.machines, 0) | fixed
    for p in schedule.ops:
        if p.end > last[p.machine]:
            last[p.machine] = p.end
    return sum(last.values())


def _fixed_ends(data: ProblemData) -> dict[str, int]:
    """Each machine's last minute busy before any order is dispatched (operations fixed
    beforehand, as :func:`_fresh_state` books them)."""
    machines = _fresh_state(data).machines
    return {m: max(end for _, end, _ in t.busy) for m, t in machines.items() if t.busy}


@dataclass(frozen=True)
class _Whole:
    """A whole dispatch as the rolling search needs it."""

    value: Fraction
    """The plan's objective total."""
    cost: np.ndarray
    """Every order's scaled tardiness or rejection cost (see :class:`_Prices`)."""
    schedule: Schedule | None
    """The plan, or None where it was not asked for."""


def _whole(
    data: ProblemData,
    sequence: list[int],
    resume: Snapshot | None,
    snapshots: list[Snapshot],
    every: int,
    below: Fraction | None = None,
) -> _Whole | None:
    """Dispatch all of ``sequence`` as :func:`_run` does; None when a firm order does not fit.

    The plan is built only when its objective is below ``below`` (always when that
    is None). By the compiled loops the objective comes from their state, exactly,
    without the plan: that takes most of a whole dispatch's time on 2,000 orders.
    This needs every machine interval to be an operation of the plan, so it is not
    done where operations are fixed or a published plan is kept to.
    """
    packed = _packed(data)
    prices = _prices(data)
    if packed is not None and _unpinned(data):
        state = _dispatch_compiled(packed, sequence, resume, snapshots, every, None)
        if state is None:
            return None
        everyone = np.arange(packed.orders, dtype=np.int64)
        cost = prices.costs(everyone, kernels.completions(packed.plant, state, everyone))
        last, minutes = kernels.machine_terms(packed.plant, state)
        w = data.weights
        value = (
            Fraction(int(cost.sum()), prices.scale)
            + w.makespan * Fraction(last, 60)
            + w.changeover * Fraction(minutes, 60)
        )
        wanted = below is None or value < below
        return _Whole(value, cost, _schedule_of(packed, state, sequence) if wanted else None)
    schedule = _run(data, sequence, resume, snapshots, every)
    if schedule is None:
        return None
    value = terms(data, schedule).total
    cost = _cost_array(data, schedule)
    return _Whole(value, cost, schedule if below is None or value < below else None)


def _unpinned(data: ProblemData) -> bool:
    """Whether no operation is fixed beforehand and no published plan is kept to."""
    found = _per_problem(
        data,
        "unpinned",
        lambda: (
            not data.baseline
            and all(op.fixed_staff is None for line in data.lines for op in line.ops)
        ),
    )
    return bool(found)


def _fresh_state(data: ProblemData) -> _State:
    """No order dispatched yet: only the operations fixed with their crews are placed."""
    state = _State(
        data,
        {m: _Timeline() for m in data.machines},
        {p.id: _Timeline() for p in data.scenario.staff},
        dict(data.stock),
        {m: [] for m in data.materials},
    )
    for line in data.lines:
        for op in line.ops:
            if op.fixed_staff is None:
                continue
            mode, start = op.modes[0], op.modes[0].starts[0][0]
            state.machines[mode.machine].add(start, start + mode.duration, op.family)
            for person in op.fixed_staff:
                state.people[person].add(start, start + mode.duration, None)
            if op.position == 0:
                for material_id, need in line.materials.items():
                    if material_id in state.consumed:
                        bisect.insort(state.consumed[material_id], (start, need))
    return state


def _run(
    data: ProblemData,
    sequence: list[int],
    resume: Snapshot | None = None,
    snapshots: list[Snapshot] | None = None,
    every: int = 0,
    until: int | None = None,
) -> Schedule | None:
    """Dispatch the orders in ``sequence``; None when a firm order cannot be placed.

    With ``resume``, the first ``resume.position`` orders (which must be those of
    the snapshot's sequence) are not dispatched again. With ``snapshots`` and
    ``every``, the state before every ``every``-th later order (before position
    ``until``, if given) is appended to it.

    Once :mod:`engine.dispatch_kernels` is compiled, the orders are placed by its
    compiled loops (the same plan, sooner); a Python snapshot is then not resumed
    from (see :func:`_dispatch_compiled`).
    """
    packed = _packed(data)
    if packed is not None:
        state = _dispatch_compiled(packed, sequence, resume, snapshots, every, until)
        return None if state is None else _schedule_of(packed, state, sequence)
    if isinstance(resume, _Snapshot):
        return _run_python(data, sequence, resume, snapshots, every, until)
    after = 0 if resume is None else resume.position
    return _run_python(data, sequence, None, snapshots, every, until, after)


def _run_python(
    data: ProblemData,
    sequence: list[int],
    resume: _Snapshot | None,
    snapshots: list[Snapshot] | None,
    every: int,
    until: int | None,
    after: int = 0,
) -> Schedule | None:
    """:func:`_run` in Python; snapshots only after position ``after`` too."""
    if resume is None:
        state, begin = _fresh_state(data), 0
        accepted = [False] * len(data.orders)
        sources: dict[tuple[int, int], str] = {}
        ops: list[ScheduledOp] = []
    else:
        state, accepted, sources, ops = resume.restore(data)
        begin = resume.position
    after = max(after, begin)
    w = data.weights
    for position in range(begin, len(sequence)):
        if (
            snapshots is not None
            and every
            and position > after
            and position % every == 0
            and (until is None or position < until)
        ):
            snapshots.append(_Snapshot.take(position, state, accepted, sources, ops))
        order = data.orders[sequence[position]]
        placed: list[ScheduledOp] = []
        taken: dict[str, int] = {}
        local: dict[tuple[int, int], str] = {}
        ok = True
        for line in order.lines:
            left = state.stock.get(line.product, 0) - taken.get(line.product, 0)
            if line.stockable and left >= line.quantity:
                taken[line.product] = taken.get(line.product, 0) + line.quantity
                local[(order.index, line.index)] = "stock"
                continue
            if not line.producible:
                ok = False
                break
            got = _schedule_line(state, order, line)
            if got is None:
                ok = False
                break
            placed += got
            local[(order.index, line.index)] = "production"
        if ok and not order.firm:
            ends = [p.end for p in placed] + [order.stock_completion]
            late = max(0, max(ends) - order.due)
            cost = w.tardiness * order.tier_weight * Fraction(late, 60)
            ok = cost <= w.rejection * order.value
        if not ok:
            _undo(state, placed)
            if order.firm:
                return None
            continue
        for product, q in taken.items():
            state.stock[product] -= q
        accepted[order.index] = True
        sources.update(local)
        ops += placed
    return Schedule(accepted, sources, ops)
