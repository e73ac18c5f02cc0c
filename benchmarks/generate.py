"""Seeded generator of plant scenarios of any size.

A generated plant has five machine groups (saw, mill, assembly, paint, pack)
run in two shifts on weekdays, some mills around the clock with a night crew,
a plant holiday, a few machine downtimes, setup families with changeovers on
the saws and paint booths, three customer tiers, raw materials with receipts,
finished-goods stock and a few optional orders.

Sizes are chosen so the scenario is feasible but tight: the planned work is
at most about 70% (``load``) of the machine and staff capacity of every group
(less in small scenarios, whose operations would otherwise outgrow a shift), every
operation fits in one shift on every eligible machine, every firm order can
be made alone after its release and after the last material receipt, and
materials cover the whole demand with a margin. The same arguments always
give the same scenario.

By default every order can be on time, so the objective is mostly makespan and
changeovers. A loaded plant (``load=0.8, due_scale=0.5``) books capacity close
to full and gives orders half the due-date slack: orders then compete, not all
can be on time, and which ones are late (by customer tier) dominates the
objective, as in a busy plant.

Examples
--------
>>> data = generate(500, seed=1)
>>> len(data["orders"])
500

From the command line::

    python -m benchmarks.generate --orders 500 --seed 1 --out benchmarks/scenarios/plant-500.yaml
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

__all__ = ["generate", "main", "operation_count"]

TIMEZONE = "Europe/Berlin"
START = date(2026, 6, 1)
"""A Monday; horizons of up to 20 weeks stay clear of daylight-saving changes."""
HOLIDAY = date(2026, 6, 4)
"""Corpus Christi, a public holiday in parts of Germany: the whole plant is closed."""

SHIFT_MINUTES = 8 * 60
MAX_OPERATION = 6 * 60
"""Longest operation on its slowest machine, so that it fits in one shift with room to spare."""
TARGET_LOAD = 0.70
"""Planned work as a share of the effective capacity of each machine group (default)."""
MAX_LOAD = 0.8
"""Highest planned share: above it, firm orders released late may no longer fit the horizon."""
RELEASE_SHARE = 0.60
"""Releases fall in this leading share of the horizon."""
SPARE_DAYS = 6
"""Working days left after the last release: a routing of four one-shift operations plus slack."""
PIPELINE_DAYS = 1.5
"""Working days of capacity not counted, for filling and draining the routing pipeline."""
MATERIAL_COVER = 1.25
"""Total material supply as a multiple of the demand of all order lines."""
TWO_LINE_SHARE = 0.08
"""Share of orders with two lines; the others have one."""
OPTIONAL_SHARE = 0.03
"""Share of orders that are optional (``firm: false``)."""


@dataclass(frozen=True)
class _Group:
    name: str
    skill: str
    families: tuple[str, ...] = ()
    crew_two: float = 0.0
    """Chance that an operation of this group needs a crew of two."""


GROUPS: tuple[_Group, ...] = (
    _Group("saw", "sawing", ("oak", "beech", "pine", "birch", "walnut")),
    _Group("mill", "milling"),
    _Group("assembly", "assembly", crew_two=0.15),
    _Group("paint", "finishing", ("clear", "white", "black", "grey")),
    _Group("pack", "packing"),
)
_ROUTE_LENGTHS = (2, 3, 4)
_ROUTE_WEIGHTS = (0.40, 0.40, 0.20)
_PRODUCT_KINDS = (
    "table",
    "chair",
    "shelf",
    "cabinet",
    "desk",
    "bed",
    "bench",
    "stool",
    "wardrobe",
    "sideboard",
)
_TIERS = (("strategic", 10.0, 0.10), ("key", 3.0, 0.30), ("standard", 1.0, 0.60))


@dataclass
class _Op:
    group: int
    setup: int
    rate: int
    """Minutes per unit on the fastest eligible machine; slower machines add up to 30%."""
    family: str | None
    crew: int
    machines: dict[str, int] = field(default_factory=dict)


@dataclass
class _Product:
    id: str
    ops: list[_Op]
    typical: int
    """Typical order quantity."""
    price: int
    materials: dict[str, int] = field(default_factory=dict)

    def max_quantity(self) -> int:
        """Largest quantity for which every operation fits ``MAX_OPERATION`` on any machine."""
        return min((MAX_OPERATION - op.setup) // _slowest(op.rate) for op in self.ops)


@dataclass
class _Line:
    product: _Product
    quantity: int


def _slowest(rate: int) -> int:
    return math.ceil(rate * 1.3)


def operation_count(data: dict[str, Any]) -> int:
    """Operations a scenario asks for if no line is served from stock.

    Parameters
    ----------
    data
        A scenario as JSON-ready data.

    Returns
    -------
    int
        The sum over all order lines of the length of the product's routing.
    """
    routing = {p["id"]: len(p["routing"]) for p in data["products"]}
    return sum(routing[line["product"]] for o in data["orders"] for line in o["lines"])


class _Clock:
    """Local wall-clock instants of the plant, written with their UTC offset."""

    def __init__(self, weeks: int) -> None:
        self.zone = ZoneInfo(TIMEZONE)
        self.start = self.at(START, 6)
        self.end = self.at(START + timedelta(weeks=weeks), 6)
        self.days = [START + timedelta(days=i) for i in range(weeks * 7)]
        self.working_days = [d for d in self.days if d.weekday() < 5 and d != HOLIDAY]

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def working_day_after(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day``; past the horizon, weekdays count."""
        later = [d for d in self.working_days if d > day]
        if count <= len(later):
            return later[count - 1]
        extra = count - len(later)
        last = later[-1] if later else day
        while extra:
            last += timedelta(days=1)
            extra -= last.weekday() < 5
        return last

    @staticmethod
    def text(instant: datetime) -> str:
        return instant.isoformat()


def generate(
    orders: int,
    seed: int = 0,
    *,
    machines: int | None = None,
    staff: int | None = None,
    weeks: int = 4,
    load: float = TARGET_LOAD,
    due_scale: float = 1.0,
) -> dict[str, Any]:
    """Generate a plant scenario.

    Parameters
    ----------
    orders
        Number of orders (at least 1).
    seed
        Seed of the private random generator; equal arguments give equal scenarios.
    machines
        Number of machines, at least one per group (5). Default: one per 25
        orders over a four-week horizon, scaled inversely with ``weeks``, at
        least 5, so the load per machine stays about the same at any size.
    staff
        Number of staff. Default: one per machine and shift (twice the number
        of machines plus the night crew of the round-the-clock mills), at least
        enough to crew every shift. Fewer people lower the effective capacity
        and so the planned quantities.
    weeks
        Horizon length in weeks (1 to 20), starting on a Monday at 06:00.
    load
        Planned work as a share of each machine group's effective capacity
        (0.1 to 0.8; default 0.70). Near the top the plant is fully booked and
        orders compete for capacity, so lateness and order priority dominate the
        objective.
    due_scale
        Multiplier on each order's due-date slack in working days (0.1 to 5.0;
        default 1.0), at least one working day after its release. Below 1 due
        dates are tight and not every order can be on time.

    Returns
    -------
    dict
        The scenario as JSON-ready data in the scenario format, loadable with
        :func:`engine.io.scenario_from_data`.

    Raises
    ------
    ValueError
        If a size is out of range or there are too few staff to crew every shift.
    """
    if orders < 1:
        raise ValueError("orders must be at least 1")
    if not 1 <= weeks <= 20:
        raise ValueError("weeks must be between 1 and 20")
    if not 0.1 <= load <= MAX_LOAD:
        raise ValueError(f"load must be between 0.1 and {MAX_LOAD}")
    if not 0.1 <= due_scale <= 5.0:
        raise ValueError("due_scale must be between 0.1 and 5.0")
    if machines is None:
        machines = max(len(GROUPS), round(orders / 25 * 4 / weeks))
    if machines < len(GROUPS):
        raise ValueError(f"machines must be at least {len(GROUPS)}, one per machine group")
    rng = random.Random(seed)
    clock = _Clock(weeks)

    n_products = max(5, orders // 10)
    n_materials = min(20, max(5, n_products // 3))
    material_ids = [f"mat-{i + 1:02d}" for i in range(n_materials)]

    # The average operation is sized so that about ``load`` of the capacity is used;
    # quantities are trimmed per group afterwards where a group ends up above that.
    days = max(1.0, len(clock.working_days) - PIPELINE_DAYS)
    capacity_guess = machines * 2 * SHIFT_MINUTES * days
    mean_op = min(0.55 * MAX_OPERATION, load * capacity_guess / (orders * 3.0))
    products = _products(rng, n_products, material_ids, mean_op)
    order_lines = _order_lines(rng, orders, products)
    lines = [line for group in order_lines for line in group]

    work = [0.0] * len(GROUPS)
    for line in lines:
        for op in line.product.ops:
            work[op.group] += op.setup + line.quantity * op.rate
    per_group = _apportion(machines, work, minimum=1)
    machine_rows, round_clock = _machines(rng, per_group, clock)
    _assign_machines(rng, products, machine_rows, per_group)

    crews = _crews(per_group, round_clock, products, staff)
    staff_rows = _staff(rng, crews)

    capacity = _capacity(per_group, round_clock, crews, products, clock)
    _trim_quantities(lines, capacity, load)

    stock = _stock(rng, products, lines)
    material_rows = _materials(rng, material_ids, lines, clock)
    customers, customer_tier = _customers(rng, orders)
    order_rows = _orders(rng, order_lines, customers, clock, due_scale)

    name = f"Generated plant, {orders} orders, seed {seed}"
    if load != TARGET_LOAD or due_scale != 1.0:
        name += f", load {load:g}, due scale {due_scale:g}"
    return {
        "version": 1,
        "name": name,
        "timezone": TIMEZONE,
        "horizon": {"start": clock.text(clock.start), "end": clock.text(clock.end)},
        "calendars": _calendars(clock, night=any(round_clock)),
        "machines": machine_rows,
        "staff": staff_rows,
        "products": [_product_row(p) for p in products],
        "materials": material_rows,
        "stock": stock,
        "customers": [{"id": c, "tier": customer_tier[c]} for c in customers],
        "orders": order_rows,
        "policy": {
            "tier_weights": {name: weight for name, weight, _ in _TIERS},
            "weights": {"tardiness": 1.0, "rejection": 0.01, "makespan": 0.1, "changeover": 0.5},
        },
    }


def _apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``."""
    counts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest <= 0:
        return counts
    whole = sum(weights) or 1.0
    shares = [rest * w / whole for w in weights]
    floors = [math.floor(s) for s in shares]
    left = rest - sum(floors)
    # Largest remainder first; index breaks ties so the result is deterministic.
    order = sorted(range(len(weights)), key=lambda i: (floors[i] - shares[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [c + f for c, f in zip(counts, floors, strict=True)]


def _products(
    rng: random.Random, count: int, material_ids: list[str], mean_op: float
) -> list[_Product]:
    products: list[_Product] = []
    for i in range(count):
        length = rng.choices(_ROUTE_LENGTHS, _ROUTE_WEIGHTS)[0]
        groups = sorted(rng.sample(range(len(GROUPS)), length))
        typical = rng.randint(4, 40)
        ops: list[_Op] = []
        for g in groups:
            group = GROUPS[g]
            setup = rng.choice((0, 10, 15, 20, 30))
            target = mean_op * rng.uniform(0.5, 1.5)
            rate = max(1, round((target - setup) / typical))
            family = rng.choice(group.families) if group.families else None
            crew = 2 if rng.random() < group.crew_two else 1
            ops.append(_Op(g, setup, rate, family, crew))
        used = rng.sample(material_ids, rng.randint(1, min(3, len(material_ids))))
        kind = _PRODUCT_KINDS[i % len(_PRODUCT_KINDS)]
        product = _Product(
            id=f"{kind}-{i + 1:03d}",
            ops=ops,
            typical=typical,
            price=rng.randrange(40, 900, 10),
            materials={m: rng.randint(1, 6) for m in sorted(used)},
        )
        products.append(product)
    return products


def _order_lines(rng: random.Random, orders: int, products: list[_Product]) -> list[list[_Line]]:
    """The lines of each order: one, or two for a few orders."""
    result: list[list[_Line]] = []
    for _ in range(orders):
        lines: list[_Line] = []
        for _ in range(2 if rng.random() < TWO_LINE_SHARE else 1):
            product = rng.choice(products)
            quantity = round(product.typical * rng.uniform(0.5, 1.5))
            lines.append(_Line(product, max(1, min(quantity, product.max_quantity()))))
        result.append(lines)
    return result


def _machines(
    rng: random.Random, per_group: list[int], clock: _Clock
) -> tuple[list[dict[str, Any]], list[int]]:
    """Machine rows, and per group how many run around the clock (a third of the mills)."""
    rows: list[dict[str, Any]] = []
    round_clock = [0] * len(GROUPS)
    for g, count in enumerate(per_group):
        group = GROUPS[g]
        if group.name == "mill":
            round_clock[g] = count // 3
        for k in range(count):
            row: dict[str, Any] = {
                "id": f"{group.name}-{k + 1:02d}",
                "calendar": "around-the-clock" if k < round_clock[g] else "two-shift",
            }
            if group.families:
                row["changeover"] = rng.choice((15, 20, 30, 45))
            rows.append(row)
    downtimes = max(2, len(rows) // 8)
    for row in rng.sample(rows, min(downtimes, len(rows))):
        day = rng.choice(clock.working_days)
        begin = clock.at(day, rng.choice((6, 8, 10, 14, 16)))
        end = begin + timedelta(hours=rng.randint(2, 6))
        reason = rng.choice(("preventive maintenance", "tool change", "breakdown repair"))
        row["downtime"] = [{"start": clock.text(begin), "end": clock.text(end), "reason": reason}]
    return rows, round_clock


def _assign_machines(
    rng: random.Random,
    products: list[_Product],
    machine_rows: list[dict[str, Any]],
    per_group: list[int],
) -> None:
    by_group: list[list[str]] = [[] for _ in GROUPS]
    start = 0
    for g, count in enumerate(per_group):
        by_group[g] = [row["id"] for row in machine_rows[start : start + count]]
        start += count
    for product in products:
        for op in product.ops:
            pool = by_group[op.group]
            chosen = rng.sample(pool, rng.randint(1, min(3, len(pool))))
            # The first machine is the fastest; alternatives are up to 30% slower.
            op.machines = {chosen[0]: op.rate}
            for machine in chosen[1:]:
                slower = round(op.rate * rng.uniform(1.0, 1.3))
                op.machines[machine] = min(_slowest(op.rate), max(op.rate, slower))


def _crews(
    per_group: list[int], round_clock: list[int], products: list[_Product], staff: int | None
) -> list[list[int]]:
    """People per group and shift (early, late, night).

    Every shift with machines gets at least one person, two on the early shift
    where the group has crews of two. ``None`` means one person per machine
    and shift, or the minimum if that is more.
    """
    needs_two = [False] * len(GROUPS)
    crew_sum = [0.0] * len(GROUPS)
    crew_n = [0] * len(GROUPS)
    for product in products:
        for op in product.ops:
            needs_two[op.group] |= op.crew == 2
            crew_sum[op.group] += op.crew
            crew_n[op.group] += 1
    cells: list[tuple[int, int]] = []
    minimum: list[int] = []
    weights: list[float] = []
    for g, count in enumerate(per_group):
        mean_crew = crew_sum[g] / crew_n[g] if crew_n[g] else 1.0
        for shift, machines_on in enumerate((count, count, round_clock[g])):
            if machines_on == 0:
                continue
            cells.append((g, shift))
            minimum.append(2 if needs_two[g] and shift == 0 else 1)
            weights.append(machines_on * mean_crew)
    need = sum(minimum)
    if staff is None:
        staff = max(need, 2 * sum(per_group) + sum(round_clock))
    if staff < need:
        raise ValueError(f"staff must be at least {need} to crew every shift of every group")
    extra = _apportion(staff - need, weights)
    crews = [[0, 0, 0] for _ in GROUPS]
    for (g, shift), low, more in zip(cells, minimum, extra, strict=True):
        crews[g][shift] = low + more
    return crews


_SHIFT_CALENDARS = ("early", "late", "night")


def _staff(rng: random.Random, crews: list[list[int]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for g, shifts in enumerate(crews):
        for shift, count in enumerate(shifts):
            for _ in range(count):
                skills = [GROUPS[g].skill]
                if rng.random() < 0.25:
                    other = rng.choice([x for x in GROUPS if x.skill != GROUPS[g].skill])
                    skills.append(other.skill)
                rows.append(
                    {
                        "id": f"staff-{len(rows) + 1:03d}",
                        "skills": skills,
                        "calendar": _SHIFT_CALENDARS[shift],
                    }
                )
    return rows


def _capacity(
    per_group: list[int],
    round_clock: list[int],
    crews: list[list[int]],
    products: list[_Product],
    clock: _Clock,
) -> list[float]:
    """Minutes of work each group can do: per shift, machines or crews, whichever is fewer."""
    crew_sum = [0.0] * len(GROUPS)
    crew_n = [0] * len(GROUPS)
    for product in products:
        for op in product.ops:
            crew_sum[op.group] += op.crew
            crew_n[op.group] += 1
    # The first and last day are only partly usable: later groups wait for the first
    # operations, and the last operations must end before the horizon does.
    days = max(1.0, len(clock.working_days) - PIPELINE_DAYS)
    capacity: list[float] = []
    for g, count in enumerate(per_group):
        mean_crew = crew_sum[g] / crew_n[g] if crew_n[g] else 1.0
        machines_on = (count, count, round_clock[g])
        parallel = sum(
            min(m, crews[g][s] / mean_crew) for s, m in enumerate(machines_on) if crews[g][s]
        )
        capacity.append(parallel * SHIFT_MINUTES * days)
    return capacity


def _trim_quantities(lines: list[_Line], capacity: list[float], target: float) -> None:
    """Shrink quantities on any group planned above ``target`` of its capacity."""
    for _ in range(50):
        work = [0.0] * len(GROUPS)
        for line in lines:
            for op in line.product.ops:
                # Changeovers and slower alternative machines cost about 15% on top.
                work[op.group] += (op.setup + line.quantity * op.rate) * 1.15
        load = [w / c if c else math.inf for w, c in zip(work, capacity, strict=True)]
        worst = max(range(len(GROUPS)), key=lambda g: load[g])
        if load[worst] <= target:
            return
        factor = max(0.5, target / load[worst])
        for line in lines:
            if any(op.group == worst for op in line.product.ops):
                line.quantity = max(1, math.floor(line.quantity * factor))


def _stock(rng: random.Random, products: list[_Product], lines: list[_Line]) -> dict[str, int]:
    """Finished goods for about a fifth of the products, often enough for one line."""
    stock: dict[str, int] = {}
    count = max(1, round(len(products) * 0.2))
    for product in rng.sample(products, count):
        wanted = [line.quantity for line in lines if line.product is product]
        if wanted and rng.random() < 0.7:
            stock[product.id] = rng.choice(wanted) + rng.randint(0, 3)
        else:
            stock[product.id] = rng.randint(1, max(1, product.typical // 2))
    return dict(sorted(stock.items()))


def _latest_release(clock: _Clock) -> datetime:
    """06:00 on the working day from which ``SPARE_DAYS`` working days remain, within
    the leading ``RELEASE_SHARE`` of the horizon; the horizon start if none is."""
    cap = clock.start + (clock.end - clock.start) * RELEASE_SHARE
    spare = clock.working_days[:-SPARE_DAYS] if len(clock.working_days) > SPARE_DAYS else []
    candidates = [d for d in spare if clock.at(d, 6) <= cap]
    return clock.at(candidates[-1], 6) if candidates else clock.start


def _release_days(clock: _Clock) -> list[date]:
    last = _latest_release(clock)
    days = [d for d in clock.working_days if clock.at(d, 6) <= last]
    return days or [START]


def _materials(
    rng: random.Random, material_ids: list[str], lines: list[_Line], clock: _Clock
) -> list[dict[str, Any]]:
    demand = dict.fromkeys(material_ids, 0)
    for line in lines:
        for m, per_unit in line.product.materials.items():
            demand[m] += per_unit * line.quantity
    # Receipts arrive no later than the last release, so every order can still be made
    # alone after them; on hand alone covers only part of the demand, so early starts
    # sometimes wait for a delivery.
    receipt_days = _release_days(clock)
    rows: list[dict[str, Any]] = []
    for m in material_ids:
        supply = max(10, math.ceil(demand[m] * MATERIAL_COVER))
        on_hand = math.ceil(supply * rng.uniform(0.5, 0.7))
        rest = supply - on_hand
        row: dict[str, Any] = {"id": m, "on_hand": on_hand}
        parts = rng.randint(1, 3) if rest >= 3 else 1
        if rest > 0:
            days = sorted(rng.choice(receipt_days) for _ in range(parts))
            sizes = _apportion(rest, [1.0] * parts)
            row["receipts"] = [
                {"at": clock.text(clock.at(d, rng.choice((6, 8, 10, 13)))), "quantity": q}
                for d, q in zip(days, sizes, strict=True)
                if q > 0
            ]
        rows.append(row)
    return rows


def _customers(rng: random.Random, orders: int) -> tuple[list[str], dict[str, str]]:
    count = max(3, orders // 8)
    names = [f"cust-{i + 1:03d}" for i in range(count)]
    tiers: dict[str, str] = {}
    for i, name in enumerate(names):
        # The first three cover every tier, so even tiny scenarios use all weights.
        if i < len(_TIERS):
            tiers[name] = _TIERS[i][0]
        else:
            tiers[name] = rng.choices([t[0] for t in _TIERS], [t[2] for t in _TIERS])[0]
    return names, tiers


def _orders(
    rng: random.Random,
    order_lines: list[list[_Line]],
    customers: list[str],
    clock: _Clock,
    due_scale: float,
) -> list[dict[str, Any]]:
    release_days = _release_days(clock)
    optional = set(rng.sample(range(len(order_lines)), round(len(order_lines) * OPTIONAL_SHARE)))
    rows: list[dict[str, Any]] = []
    for i, group in enumerate(order_lines):
        release_day = rng.choice(release_days)
        days = rng.choices((1, 2, 3, 5, 7, 10), (0.10, 0.20, 0.25, 0.20, 0.15, 0.10))[0]
        slack = max(1, round(days * due_scale))
        value = sum(line.quantity * line.product.price for line in group)
        row: dict[str, Any] = {
            "id": f"SO-{10001 + i}",
            "customer": rng.choice(customers),
            "lines": [{"product": line.product.id, "quantity": line.quantity} for line in group],
            "due": clock.text(clock.at(clock.working_day_after(release_day, slack), 22)),
            "release": clock.text(clock.at(release_day, 6)),
            "value": value,
        }
        if i in optional:
            row["firm"] = False
        rows.append(row)
    return rows


def _calendars(clock: _Clock, *, night: bool) -> dict[str, Any]:
    """Shift calendars, all closed on the holiday; the night ones only where mills need them."""
    weekdays = ("mon", "tue", "wed", "thu", "fri")

    def closed() -> list[dict[str, str]]:
        return [
            {
                "start": clock.text(clock.at(HOLIDAY, 0)),
                "end": clock.text(clock.at(HOLIDAY + timedelta(days=1), 0)),
                "reason": "Corpus Christi",
            }
        ]

    calendars: dict[str, Any] = {
        "two-shift": {
            "weekly": {d: [["06:00", "14:00"], ["14:00", "22:00"]] for d in weekdays},
            "closed": closed(),
        },
        "early": {"weekly": {d: [["06:00", "14:00"]] for d in weekdays}, "closed": closed()},
        "late": {"weekly": {d: [["14:00", "22:00"]] for d in weekdays}, "closed": closed()},
    }
    if night:
        # A night shift is two windows on consecutive days: 22:00-24:00 and 00:00-06:00.
        nights: dict[str, list[list[str]]] = {"mon": [["22:00", "24:00"]]}
        for day in ("tue", "wed", "thu", "fri"):
            nights[day] = [["00:00", "06:00"], ["22:00", "24:00"]]
        nights["sat"] = [["00:00", "06:00"]]
        calendars["around-the-clock"] = {"weekly": "all", "closed": closed()}
        calendars["night"] = {"weekly": nights, "closed": closed()}
    return calendars


def _product_row(product: _Product) -> dict[str, Any]:
    routing: list[dict[str, Any]] = []
    for op in product.ops:
        group = GROUPS[op.group]
        row: dict[str, Any] = {"id": group.name, "machines": dict(op.machines)}
        if op.setup:
            row["setup"] = op.setup
        if op.family:
            row["setup_family"] = op.family
        row["skill"] = group.skill
        if op.crew != 1:
            row["crew"] = op.crew
        routing.append(row)
    return {"id": product.id, "routing": routing, "materials": dict(product.materials)}


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes repeated values out instead of as YAML anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def main(argv: Sequence[str] | None = None) -> int:
    """Write a generated scenario and print a one-line summary.

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The process exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description="Generate a plant scenario."
    )
    parser.add_argument("--orders", type=int, required=True, help="number of orders")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--machines", type=int, default=None, help="machines (default: scaled)")
    parser.add_argument("--staff", type=int, default=None, help="staff (default: scaled)")
    parser.add_argument("--weeks", type=int, default=4, help="horizon in weeks (default 4)")
    parser.add_argument(
        "--load",
        type=float,
        default=TARGET_LOAD,
        help=f"planned share of capacity, 0.1 to {MAX_LOAD} (default {TARGET_LOAD})",
    )
    parser.add_argument(
        "--due-scale",
        type=float,
        default=1.0,
        help="multiplier on due-date slack, 0.1 to 5 (default 1; below 1 is tight)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output file, .yaml/.yml or .json (default: stdout)"
    )
    args = parser.parse_args(argv)
    try:
        data = generate(
            args.orders,
            args.seed,
            machines=args.machines,
            staff=args.staff,
            weeks=args.weeks,
            load=args.load,
            due_scale=args.due_scale,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.out is not None and args.out.suffix == ".json":
        text = json.dumps(data, indent=1) + "\n"
    else:
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    summary = (
        f"{data['name']}: {len(data['orders'])} orders, {operation_count(data)} operations, "
        f"{len(data['machines'])} machines, {len(data['staff'])} staff, "
        f"{len(data['products'])} products, {len(data['materials'])} materials"
    )
    print(summary, file=sys.stderr if args.out is None else sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
