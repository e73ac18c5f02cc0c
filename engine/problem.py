"""Index-based problem data on the minute grid, shared by the model, the heuristic and diagnosis.

The scenario says what the plant is; :class:`ProblemData` says it in minutes:
each production line's operations with their eligible machines, durations and
the start windows that calendars, downtime, release and horizon leave open,
tightened by a forward and backward pass along the routing.
"""

from __future__ import annotations

import bisect
import dataclasses
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache

from engine.model import Scenario
from engine.timegrid import Intervals, TimeGrid, intersect, merge, start_windows


@dataclass(frozen=True)
class Mode:
    """Running an operation on one eligible machine.

    ``starts`` are closed ranges ``[lo, hi]`` of feasible start minutes;
    ``staff_starts[person]`` narrows them for a person whose working time is
    shorter than the machine's (absent when the person never narrows them).
    """

    machine: str
    duration: int
    starts: Intervals
    staff_starts: dict[str, Intervals] = field(default_factory=dict)


@dataclass(frozen=True)
class OpData:
    """One operation of one production line."""

    position: int
    name: str
    family: str | None
    skill: str | None
    crew: int
    candidates: list[str]
    modes: list[Mode]
    order: int
    line: int
    pinned: bool = False
    """Held at one machine and start (a neighbourhood search keeps it where it is)."""
    fixed_staff: tuple[str, ...] | None = None
    """The people of a frozen baseline operation, who stay on it."""

    @property
    def feasible(self) -> bool:
        """Whether some machine has a start window left."""
        return any(m.starts for m in self.modes)


@dataclass(frozen=True)
class LineData:
    """One order line: a product, a quantity, and its operations if produced."""

    index: int
    order: int
    product: str
    quantity: int
    stockable: bool
    ops: list[OpData]
    materials: dict[str, int]

    @property
    def producible(self) -> bool:
        """Whether every operation has a start window left."""
        return all(op.feasible for op in self.ops)


@dataclass(frozen=True)
class OrderData:
    """One order on the grid."""

    index: int
    id: str
    firm: bool
    release: int
    stock_completion: int
    due: int
    value: Fraction
    tier_weight: Fraction
    lines: list[LineData]
    expedited: bool = False


@dataclass(frozen=True)
class MachineData:
    """A machine's changeover rule."""

    id: str
    changeover: int


@dataclass(frozen=True)
class MaterialData:
    """A material's supply on the grid: on hand at minute 0, receipts at their minute."""

    id: str
    on_hand: int
    receipts: list[tuple[int, int]]

    @property
    def total(self) -> int:
        """Everything that will ever be available."""
        return self.on_hand + sum(q for _, q in self.receipts)


@dataclass(frozen=True)
class Weights:
    """Exact objective weights as fractions (per hour for time terms)."""

    tardiness: Fraction
    rejection: Fraction
    makespan: Fraction
    changeover: Fraction
    stability: Fraction = Fraction(0)


@dataclass(frozen=True)
class Reference:
    """Where the baseline had an operation: its machine, start minute and people."""

    machine: str
    start: int
    staff: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProblemData:
    """The scenario in minutes and indices."""

    scenario: Scenario
    grid: TimeGrid
    horizon: int
    orders: list[OrderData]
    machines: dict[str, MachineData]
    materials: dict[str, MaterialData]
    stock: dict[str, int]
    weights: Weights
    baseline: dict[tuple[int, int, int], Reference] = field(default_factory=dict)
    """Baseline placement of each operation that is not frozen, by (order, line, position)."""
    freeze: int | None = None
    """Minute before which only frozen baseline operations start."""
    warnings: list[str] = field(default_factory=list)
    """What of the baseline could not be kept."""
    fixed_uses: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """Material taken at fixed minutes by work outside the model (a neighbourhood's rest)."""

    @property
    def lines(self) -> list[LineData]:
        """Every line of every order."""
        return [line for order in self.orders for line in order.lines]

    @property
    def ops(self) -> list[OpData]:
        """Every operation of every line (of its routing, whether or not it will run)."""
        return [op for line in self.lines for op in line.ops]


def exact(value: float) -> Fraction:
    """A float read as the decimal it was written as (``0.1`` is exactly 1/10)."""
    return Fraction(repr(float(value)))


def build_problem(scenario: Scenario) -> ProblemData:
    """Translate a validated scenario to problem data on its minute grid."""
    grid = TimeGrid(scenario)
    horizon = grid.end
    skilled = {
        skill: [p.id for p in scenario.staff_with_skill(skill)]
        for skill in {s for p in scenario.staff for s in p.skills}
    }

    @cache
    def staff_union(skill: str) -> tuple[tuple[int, int], ...]:
        return tuple(merge(iv for p in skilled.get(skill, []) for iv in grid.staff_open[p]))

    @cache
    def base_starts(machine: str, skill: str | None, duration: int) -> tuple[tuple[int, int], ...]:
        open_time = grid.machine_open[machine]
        if skill is not None:
            open_time = intersect(open_time, list(staff_union(skill)))
        return tuple(start_windows(open_time, duration))

    calendar_of = {p.id: p.calendar for p in scenario.staff}

    @cache
    def calendar_starts(machine: str, calendar: str, duration: int) -> tuple[tuple[int, int], ...]:
        # People on one calendar share working time: compute once per calendar, not per person.
        person = next(p for p, c in calendar_of.items() if c == calendar)
        both = intersect(grid.machine_open[machine], grid.staff_open[person])
        return tuple(start_windows(both, duration))

    def person_starts(machine: str, person: str, duration: int) -> tuple[tuple[int, int], ...]:
        return calendar_starts(machine, calendar_of[person], duration)

    orders: list[OrderData] = []
    for o, order in enumerate(scenario.orders):
        release = grid.release(order.id)
        lines: list[LineData] = []
        for k, line in enumerate(order.lines):
            product = scenario.product_by_id[line.product]
            ops: list[OpData] = []
            for position, op in enumerate(product.routing):
                modes = [
                    Mode(m, op.duration(m, line.quantity), [])
                    for m in op.machines
                    if m in grid.machine_open
                ]
                ops.append(
                    OpData(
                        position,
                        op.id,
                        op.setup_family,
                        op.skill,
                        op.crew_size,
                        skilled.get(op.skill, []) if op.skill else [],
                        modes,
                        o,
                        k,
                    )
                )
            ops = _tighten(ops, release, horizon, base_starts, person_starts)
            available = scenario.stock.get(line.product, 0)
            lines.append(
                LineData(
                    k,
                    o,
                    line.product,
                    line.quantity,
                    line.quantity <= available,
                    ops,
                    {m: q * line.quantity for m, q in product.materials.items()},
                )
            )
        orders.append(
            OrderData(
                o,
                order.id,
                order.firm,
                release,
                grid.completion_if_stock(order.id),
                grid.minute(order.due),
                exact(order.value),
                exact(scenario.tier_weight(order)),
                lines,
                order.expedited,
            )
        )
    w = scenario.policy.weights
    data = ProblemData(
        scenario=scenario,
        grid=grid,
        horizon=horizon,
        orders=orders,
        machines={m.id: MachineData(m.id, m.changeover) for m in scenario.machines},
        materials={
            m.id: MaterialData(
                m.id, m.on_hand, sorted((grid.minute(r.at), r.quantity) for r in m.receipts)
            )
            for m in scenario.materials
        },
        stock=dict(scenario.stock),
        weights=Weights(
            exact(w.tardiness),
            exact(w.rejection),
            exact(w.makespan),
            exact(w.changeover),
            exact(w.stability),
        ),
    )
    from engine.baseline import apply_baseline

    return apply_baseline(data)


def clip_starts(windows: Intervals, lo: int, hi: int | None = None) -> Intervals:
    """Closed start ranges cut to ``[lo, hi]`` (no upper cut without ``hi``)."""
    out: Intervals = []
    for a, b in windows:
        a, b = max(a, lo), b if hi is None else min(b, hi)
        if a <= b:
            out.append((a, b))
    return out


def first_start(windows: Intervals, earliest: int) -> int | None:
    """The first start at or after ``earliest`` in closed start ranges (sorted), or None."""
    i = bisect.bisect_left(windows, earliest, key=_range_end)
    if i == len(windows):
        return None
    a = windows[i][0]
    return a if a > earliest else earliest


_range_end = operator.itemgetter(1)


def starting_between(op: OpData, lo: int, end_by: int | None = None) -> OpData:
    """The operation with every start window (staff ones too) cut to start at or after
    ``lo`` and, with ``end_by``, to end by then."""
    modes = [
        Mode(
            m.machine,
            m.duration,
            clip_starts(m.starts, lo, None if end_by is None else end_by - m.duration),
            {
                p: clip_starts(w, lo, None if end_by is None else end_by - m.duration)
                for p, w in m.staff_starts.items()
            },
        )
        for m in op.modes
    ]
    return dataclasses.replace(op, modes=modes)


def _last_start(windows: Intervals, latest: int) -> int | None:
    for a, b in reversed(windows):
        if a <= latest:
            return min(b, latest)
    return None


def _tighten(
    ops: list[OpData],
    release: int,
    horizon: int,
    base_starts: Callable[[str, str | None, int], tuple[tuple[int, int], ...]],
    person_starts: Callable[[str, str, int], tuple[tuple[int, int], ...]],
) -> list[OpData]:
    """Start windows per mode from calendars, then a forward and backward pass along the routing."""
    base: list[list[Intervals]] = [
        [list(base_starts(m.machine, op.skill if op.crew else None, m.duration)) for m in op.modes]
        for op in ops
    ]
    earliest = [0] * len(ops)
    t = release
    for k, op in enumerate(ops):
        firsts = [
            (s, s + mode.duration)
            for mode, windows in zip(op.modes, base[k], strict=True)
            if (s := first_start(windows, t)) is not None
        ]
        if not firsts:
            earliest[k] = horizon + 1
            t = horizon + 1
            continue
        earliest[k] = min(s for s, _ in firsts)
        t = min(e for _, e in firsts)
    latest_end = horizon
    latest: list[list[int | None]] = [[] for _ in ops]
    for k in range(len(ops) - 1, -1, -1):
        op = ops[k]
        latest[k] = [
            _last_start(windows, latest_end - mode.duration)
            for mode, windows in zip(op.modes, base[k], strict=True)
        ]
        candidates = [s for s in latest[k] if s is not None]
        latest_end = max(candidates) if candidates else -1
    out: list[OpData] = []
    for k, op in enumerate(ops):
        modes: list[Mode] = []
        for j, mode in enumerate(op.modes):
            hi = latest[k][j]
            windows = clip_starts(base[k][j], earliest[k], hi) if hi is not None else []
            staff_starts: dict[str, Intervals] = {}
            if windows and op.crew:
                narrowed: dict[tuple[tuple[int, int], ...], Intervals | None] = {}
                for person in op.candidates:
                    theirs = person_starts(mode.machine, person, mode.duration)
                    if theirs not in narrowed:
                        own = intersect_starts(windows, list(theirs))
                        narrowed[theirs] = own if own != windows else None
                    if narrowed[theirs] is not None:
                        staff_starts[person] = narrowed[theirs]  # type: ignore[assignment]
            modes.append(Mode(mode.machine, mode.duration, windows, staff_starts))
        out.append(
            OpData(
                op.position,
                op.name,
                op.family,
                op.skill,
                op.crew,
                op.candidates,
                modes,
                op.order,
                op.line,
            )
        )
    return out


def intersect_starts(x: Intervals, y: Intervals) -> Intervals:
    """Intersection of two lists of closed start ranges."""
    out: Intervals = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a <= b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out
