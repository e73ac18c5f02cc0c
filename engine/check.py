"""Independent plan checker: verify a plan against every rule and recompute its objective.

The checker shares nothing with the engine but the validated domain model: it
expands calendars itself (no ``engine.timegrid``) and never imports OR-Tools,
so a bug in the engine's calendar code or model shows up here as a violation.

Time is handled as whole minutes since the Unix epoch (UTC), so instants written
with different offsets compare correctly. Weekly windows are read as sets of
local wall-clock times: an instant is open when its wall-clock time in the
scenario's zone falls in a window of its local weekday. Across a daylight-saving
change this is exact even for window bounds inside the skipped or repeated hour.

A scenario that replans from a baseline is checked against the frozen zone: a
baseline operation that starts before ``policy.freeze_until`` and still fits the
scenario (its order, line and operation exist, its machine is eligible, its
length is unchanged, it lies inside the horizon, after the release, in the
working time of its machine and people, who are a crew of distinct people with
the skill) keeps its machine, people and start, as long as every earlier
operation of its line is kept too; no other operation starts before
``freeze_until``. The stability term is recomputed over every other operation
that the baseline also holds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from engine.model import (
    DAYS,
    Assignment,
    BaselineAssignment,
    Calendar,
    Operation,
    Order,
    Period,
    Plan,
    PlanOrder,
    Scenario,
    Status,
)

RULES: tuple[str, ...] = (
    "schema",
    "orders",
    "lines",
    "assignment",
    "machine",
    "duration",
    "calendar",
    "release",
    "horizon",
    "precedence",
    "no_overlap_machine",
    "no_overlap_staff",
    "skill",
    "crew",
    "changeover",
    "material",
    "stock",
    "rejection",
    "priority",
    "completion",
    "tardiness",
    "frozen",
    "objective",
)
"""Every rule family a :class:`Violation` may name."""

TERMS: tuple[str, ...] = (
    "total",
    "tardiness",
    "rejection",
    "makespan",
    "changeover",
    "stability",
)
"""The objective terms, as reported in a plan's ``objective``."""

_ABS_TOL = 1e-6
_REL_TOL = 1e-9
_MARGIN = 2 * 1440  # minutes of calendar expanded beyond everything the plan touches
_EPOCH = date(1970, 1, 1)

Span = tuple[int, int]
"""A half-open interval ``[a, b)`` of minutes since the Unix epoch."""


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Parameters
    ----------
    rule
        Short rule family, one of :data:`RULES`.
    message
        What is wrong, naming the order, operation, machine, person or instant.
    """

    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """Everything the checker found about one plan.

    Parameters
    ----------
    violations
        Every broken rule, in the order the checks ran.
    objective
        The objective recomputed from the plan's orders and assignments, by
        term (:data:`TERMS`), already weighted.
    """

    violations: list[Violation]
    objective: dict[str, float]

    @property
    def ok(self) -> bool:
        """Whether the plan breaks no rule."""
        return not self.violations

    def rules(self) -> set[str]:
        """The rule families that are broken."""
        return {v.rule for v in self.violations}


def check_plan(scenario: Scenario, plan: Plan | Mapping[str, Any]) -> CheckReport:
    """Check a plan against every rule of the scenario format and recompute its objective.

    Parameters
    ----------
    scenario
        The validated scenario the plan answers.
    plan
        The plan, validated or as parsed JSON data. Data that is not a plan at
        all yields ``schema`` violations instead of an exception.

    Returns
    -------
    CheckReport
        All violations found (none for a valid plan) and the recomputed objective.
        A plan with status ``infeasible`` or ``unknown`` and no assignments
        claims nothing, so it passes with a zero objective.
    """
    if not isinstance(plan, Plan):
        try:
            plan = Plan.model_validate(plan)
        except ValidationError as exc:
            return CheckReport(_schema_violations(exc), _zero_objective())
    if plan.status in (Status.INFEASIBLE, Status.UNKNOWN) and not plan.assignments:
        return CheckReport([], _zero_objective())
    return _Checker(scenario, plan).run()


def _zero_objective() -> dict[str, float]:
    return dict.fromkeys(TERMS, 0.0)


def _schema_violations(error: ValidationError) -> list[Violation]:
    out = []
    for item in error.errors(include_url=False):
        path = ""
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = item["msg"].removeprefix("Value error, ")
        out.append(Violation("schema", f"plan {path or '(root)'}: {message}"))
    return out


# --- minutes and intervals ------------------------------------------------------------------


def _minute(instant: datetime) -> int:
    # Floor, not round: an instant off the grid must not silently land on it.
    return int(instant.timestamp()) // 60


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Sort and join spans that overlap or touch."""
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _subtract(spans: list[Span], holes: Iterable[Span]) -> list[Span]:
    result = spans
    for ha, hb in _merge(holes):
        kept: list[Span] = []
        for a, b in result:
            if hb <= a or ha >= b:
                kept.append((a, b))
                continue
            if a < ha:
                kept.append((a, ha))
            if hb < b:
                kept.append((hb, b))
        result = kept
    return result


def _inside_one(spans: Sequence[Span], starts: Sequence[int], a: int, b: int) -> bool:
    k = bisect_right(starts, a) - 1
    return k >= 0 and spans[k][1] >= b


def _clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class _Closure:
    span: Span
    label: str


@dataclass(frozen=True)
class _Open:
    """Working time of one resource: continuous stretches and what was cut out of them."""

    weekly: list[Span]
    closures: list[_Closure]
    stretches: list[Span]
    starts: list[int]
    weekly_starts: list[int]
    calendar: str


class _WorkingTime:
    """Calendar expansion over ``[lo, hi)``, independent of the engine's time grid."""

    def __init__(self, scenario: Scenario, lo: int, hi: int) -> None:
        self.scenario = scenario
        self.zone: ZoneInfo = scenario.zone
        self.lo, self.hi = lo, hi
        self._segments = self._offset_segments()
        self._weekly: dict[str, list[Span]] = {}
        self.machine: dict[str, _Open] = {}
        self.person: dict[str, _Open] = {}
        for m in scenario.machines:
            extra = [
                _Closure((_minute(p.start), _minute(p.end)), f"downtime{_reason(p)} of {m.id}")
                for p in m.downtime
            ]
            self.machine[m.id] = self._open(m.calendar, extra)
        for person in scenario.staff:
            self.person[person.id] = self._open(person.calendar, [])

    def _offset(self, minute: int) -> int:
        offset = datetime.fromtimestamp(minute * 60, tz=self.zone).utcoffset()
        return int(offset.total_seconds()) // 60 if offset is not None else 0

    def _offset_segments(self) -> list[tuple[int, int, int]]:
        """Maximal runs ``(a, b, offset)`` of constant UTC offset covering ``[lo, hi)``."""
        segments: list[tuple[int, int, int]] = []
        start, current, probe = self.lo, self._offset(self.lo), self.lo
        while probe < self.hi:
            step = min(probe + 60, self.hi)
            if self._offset(step) == current:
                probe = step
                continue
            # Offsets change at most once an hour: bisect for the first minute of the new one.
            a, b = probe, step
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (mid, b) if self._offset(mid) == current else (a, mid)
            segments.append((start, b, current))
            start, current, probe = b, self._offset(b), b
        segments.append((start, self.hi, current))
        return segments

    def _local_date(self, minute: int) -> date:
        return datetime.fromtimestamp(minute * 60, tz=self.zone).date()

    def weekly(self, calendar: Calendar) -> list[Span]:
        """Open stretches of the weekly windows alone, joined where they touch."""
        if calendar.weekly == "all":
            return [(self.lo, self.hi)]
        windows: dict[str, list[tuple[str, str]]] = {
            str(day): list(ws) for day, ws in calendar.weekly.items()
        }
        raw: list[Span] = []
        day = self._local_date(self.lo) - timedelta(days=1)
        last = self._local_date(self.hi) + timedelta(days=1)
        while day <= last:
            midnight = (day - _EPOCH).days * 1440  # local wall-clock minutes
            for frm, to in windows.get(DAYS[day.weekday()], []):
                wall_a, wall_b = midnight + _clock(frm), midnight + _clock(to)
                # An instant u is open when its wall-clock time u + offset lies in the window.
                for seg_a, seg_b, offset in self._segments:
                    raw.append((max(seg_a, wall_a - offset), min(seg_b, wall_b - offset)))
            day += timedelta(days=1)
        return _merge(raw)

    def _open(self, name: str, extra: list[_Closure]) -> _Open:
        calendar = self.scenario.calendar(name)
        if name not in self._weekly:
            self._weekly[name] = self.weekly(calendar)
        weekly = self._weekly[name]
        closures = [
            _Closure(
                (_minute(p.start), _minute(p.end)), f"closed period{_reason(p)} of calendar {name}"
            )
            for p in calendar.closed
        ] + extra
        stretches = _subtract(weekly, (c.span for c in closures))
        return _Open(
            weekly=weekly,
            closures=closures,
            stretches=stretches,
            starts=[a for a, _ in stretches],
            weekly_starts=[a for a, _ in weekly],
            calendar=name,
        )


def _reason(period: Period) -> str:
    return f" '{period.reason}'" if period.reason else ""


# --- the checker ----------------------------------------------------------------------------


_Key = tuple[str, int, str]
"""An operation of an order line: ``(order id, line index, operation id)``."""


@dataclass(frozen=True)
class _Run:
    """An assignment resolved against the scenario: its order, line and routing operation."""

    assignment: Assignment
    order: Order
    line: int
    quantity: int
    product: str
    op: Operation
    op_index: int
    start: int
    end: int


def _close(reported: float, expected: float) -> bool:
    return abs(reported - expected) <= _ABS_TOL + _REL_TOL * abs(expected)


class _Checker:
    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.s = scenario
        self.p = plan
        self.zone = scenario.zone
        self.h0 = _minute(scenario.horizon.start)
        self.h1 = _minute(scenario.horizon.end)
        self.out: list[Violation] = []
        self.decision: dict[str, PlanOrder] = {}
        self.source: dict[tuple[str, int], str] = {}
        self.runs: dict[_Key, _Run] = {}
        self.completion: dict[str, int] = {}
        self.changeover_minutes = 0
        self.frozen: dict[_Key, BaselineAssignment] = {}
        self.references: dict[_Key, BaselineAssignment] = {}
        self.stability_hours = Fraction(0)
        self._time: _WorkingTime | None = None

    def add(self, rule: str, message: str) -> None:
        self.out.append(Violation(rule, message))

    def at(self, minute: int) -> str:
        return datetime.fromtimestamp(minute * 60, tz=self.zone).isoformat(timespec="minutes")

    def span(self, a: int, b: int) -> str:
        return f"[{self.at(a)}, {self.at(b)})"

    def release(self, order: Order) -> int:
        return _minute(order.release) if order.release is not None else self.h0

    def run(self) -> CheckReport:
        if self.p.scenario != self.s.name:
            self.add(
                "schema",
                f"plan is for scenario '{self.p.scenario}', not '{self.s.name}'",
            )
        self.check_orders()
        self.check_stock()
        self.resolve_assignments()
        self.check_assignments()
        self.check_calendars()
        self.check_machines()
        self.check_staff()
        self.check_materials()
        self.check_completion()
        self.check_priority()
        self.check_frozen()
        objective = self.check_objective()
        return CheckReport(self.out, objective)

    # orders, lines, rejection, stock

    def check_orders(self) -> None:
        for entry in self.p.orders:
            if entry.id not in self.s.order_by_id:
                self.add("orders", f"plan lists unknown order {entry.id}")
            elif entry.id in self.decision:
                self.add("orders", f"plan lists order {entry.id} more than once")
            else:
                self.decision[entry.id] = entry
        for order in self.s.orders:
            decided = self.decision.get(order.id)
            if decided is None:
                self.add("orders", f"order {order.id} is missing from the plan")
                continue
            self._check_echo(order, decided)
            if decided.accepted:
                self._check_accepted(order, decided)
            else:
                self._check_rejected(order, decided)

    def _check_echo(self, order: Order, entry: PlanOrder) -> None:
        if entry.customer is not None and entry.customer != order.customer:
            self.add(
                "orders",
                f"{order.id} customer is '{entry.customer}' in the plan, '{order.customer}' "
                "in the scenario",
            )
        if entry.due is not None and entry.due != order.due:
            self.add(
                "orders",
                f"{order.id} due is {entry.due.isoformat()} in the plan, "
                f"{order.due.isoformat()} in the scenario",
            )

    def _check_rejected(self, order: Order, entry: PlanOrder) -> None:
        if order.firm:
            self.add("rejection", f"{order.id} is firm but rejected")
        extras = [
            name
            for name, present in (
                ("priority", entry.priority is not None),
                ("completion", entry.completion is not None),
                ("lines", bool(entry.lines)),
                ("tardiness", bool(entry.tardiness_minutes)),
            )
            if present
        ]
        if extras:
            self.add("rejection", f"rejected order {order.id} still has {', '.join(extras)}")

    def _check_accepted(self, order: Order, entry: PlanOrder) -> None:
        if len(entry.lines) != len(order.lines):
            self.add(
                "lines",
                f"{order.id} has {len(order.lines)} line(s) but the plan lists {len(entry.lines)}",
            )
        for i, (want, got) in enumerate(zip(order.lines, entry.lines, strict=False)):
            if (got.product, got.quantity) != (want.product, want.quantity):
                self.add(
                    "lines",
                    f"{order.id} line {i} is {got.quantity} x {got.product} in the plan, "
                    f"{want.quantity} x {want.product} in the scenario",
                )
            self.source[order.id, i] = got.source
        if entry.priority is None:
            self.add("priority", f"accepted order {order.id} has no priority")
        if entry.completion is None:
            self.add("completion", f"accepted order {order.id} has no completion")
        if entry.tardiness_minutes is None:
            self.add("tardiness", f"accepted order {order.id} has no tardiness_minutes")

    def check_stock(self) -> None:
        used: Counter[str] = Counter()
        users: dict[str, list[str]] = defaultdict(list)
        for order in self.s.orders:
            for i, line in enumerate(order.lines):
                if self.source.get((order.id, i)) == "stock":
                    used[line.product] += line.quantity
                    users[line.product].append(f"{order.id} line {i}")
        for product, quantity in used.items():
            on_hand = self.s.stock.get(product, 0)
            if quantity > on_hand:
                self.add(
                    "stock",
                    f"{quantity} x {product} served from stock ({', '.join(users[product])}) "
                    f"but only {on_hand} on hand",
                )

    # assignments

    def resolve_assignments(self) -> None:
        bad_orders: set[str] = set()
        for a in self.p.assignments:
            what = f"{a.order} line {a.line} op {a.operation}"
            order = self.s.order_by_id.get(a.order)
            if order is None:
                self.add("assignment", f"{what}: unknown order {a.order}")
                continue
            if not 0 <= a.line < len(order.lines):
                self.add(
                    "assignment",
                    f"{what}: order {a.order} has no line {a.line} (it has {len(order.lines)})",
                )
                continue
            entry = self.decision.get(a.order)
            if entry is not None and not entry.accepted:
                if a.order not in bad_orders:
                    self.add("rejection", f"rejected order {a.order} has assignments")
                    bad_orders.add(a.order)
                continue
            if self.source.get((a.order, a.line)) == "stock":
                self.add("stock", f"{what}: line {a.line} of {a.order} is served from stock")
                continue
            line = order.lines[a.line]
            product = self.s.product_by_id[line.product]
            ids = [op.id for op in product.routing]
            if a.operation not in ids:
                self.add(
                    "assignment",
                    f"{what}: product {product.id} has no operation '{a.operation}' "
                    f"(routing: {', '.join(ids)})",
                )
                continue
            key = (a.order, a.line, a.operation)
            if key in self.runs:
                self.add("assignment", f"{what} is assigned more than once")
                continue
            k = ids.index(a.operation)
            self.runs[key] = _Run(
                assignment=a,
                order=order,
                line=a.line,
                quantity=line.quantity,
                product=product.id,
                op=product.routing[k],
                op_index=k,
                start=_minute(a.start),
                end=_minute(a.end),
            )
        for order in self.s.orders:
            for i, line in enumerate(order.lines):
                if self.source.get((order.id, i)) != "production":
                    continue
                product = self.s.product_by_id[line.product]
                missing = [op.id for op in product.routing if (order.id, i, op.id) not in self.runs]
                if missing:
                    self.add(
                        "assignment",
                        f"{order.id} line {i} is produced but has no assignment for "
                        f"operation(s) {', '.join(missing)}",
                    )

    def _what(self, r: _Run) -> str:
        return (
            f"{r.order.id} line {r.line} op {r.op.id} on {r.assignment.machine} "
            f"{self.span(r.start, r.end)}"
        )

    def check_assignments(self) -> None:
        for r in self.runs.values():
            a = r.assignment
            what = self._what(r)
            if a.start.second or a.start.microsecond or a.end.second or a.end.microsecond:
                self.add("schema", f"{what}: start and end must be on whole minutes")
            if a.machine not in self.s.machine_by_id:
                self.add("machine", f"{what}: unknown machine {a.machine}")
            elif a.machine not in r.op.machines:
                self.add(
                    "machine",
                    f"{what}: {a.machine} is not eligible for {r.product} op {r.op.id} "
                    f"(eligible: {', '.join(r.op.machines)})",
                )
            else:
                expected = r.op.duration(a.machine, r.quantity)
                if r.end - r.start != expected:
                    self.add(
                        "duration",
                        f"{what} lasts {r.end - r.start} min, expected {r.op.setup} + "
                        f"{r.quantity} x {r.op.machines[a.machine]} = {expected} min",
                    )
            release = self.release(r.order)
            if r.start < release:
                self.add("release", f"{what} starts before the release {self.at(release)}")
            if r.start < self.h0:
                self.add("horizon", f"{what} starts before the horizon start {self.at(self.h0)}")
            if r.end > self.h1:
                self.add("horizon", f"{what} ends after the horizon end {self.at(self.h1)}")
            if r.op_index > 0:
                before = self.s.product_by_id[r.product].routing[r.op_index - 1].id
                prev = self.runs.get((r.order.id, r.line, before))
                if prev is not None and r.start < prev.end:
                    self.add(
                        "precedence",
                        f"{what} starts before the previous operation {prev.op.id} ends "
                        f"at {self.at(prev.end)}",
                    )
            self._check_crew(r, what)

    def _check_crew(self, r: _Run, what: str) -> None:
        staff = r.assignment.staff
        need = r.op.crew_size
        if len(staff) != need:
            skill = f" with skill {r.op.skill}" if r.op.skill else ""
            self.add("crew", f"{what} has {len(staff)} person(s), needs {need}{skill}")
        for person, count in Counter(staff).items():
            if count > 1:
                self.add("crew", f"{what} lists {person} {count} times")
            member = self.s.staff_by_id.get(person)
            if member is None:
                self.add("crew", f"{what}: unknown person {person}")
            elif r.op.skill is not None and r.op.skill not in member.skills:
                self.add("skill", f"{what}: {person} lacks skill {r.op.skill}")

    # calendars

    def working_time(self) -> _WorkingTime:
        """Working time over everything the plan and the baseline touch, expanded once."""
        if self._time is None:
            moments = [self.h0, self.h1]
            for a in self.p.assignments:
                moments += [_minute(a.start), _minute(a.end)]
            if self.s.baseline is not None:
                for b in self.s.baseline.assignments:
                    moments += [_minute(b.start), _minute(b.end)]
            self._time = _WorkingTime(self.s, min(moments) - _MARGIN, max(moments) + _MARGIN)
        return self._time

    def check_calendars(self) -> None:
        time = self.working_time()
        for r in self.runs.values():
            if r.end <= r.start:
                continue
            opened = time.machine.get(r.assignment.machine)
            if opened is not None:
                self._check_open(r, f"machine {r.assignment.machine}", opened)
            for person in dict.fromkeys(r.assignment.staff):
                opened = time.person.get(person)
                if opened is not None:
                    self._check_open(r, f"{person}", opened)

    def _check_open(self, r: _Run, who: str, opened: _Open) -> None:
        if _inside_one(opened.stretches, opened.starts, r.start, r.end):
            return
        reasons = []
        if not _inside_one(opened.weekly, opened.weekly_starts, r.start, r.end):
            reasons.append(f"not within one continuous stretch of calendar {opened.calendar}")
        for c in opened.closures:
            a, b = c.span
            if a < r.end and r.start < b:
                reasons.append(f"overlaps {c.label} {self.span(a, b)}")
        self.add(
            "calendar", f"{self._what(r)} is outside working time of {who}: " + "; ".join(reasons)
        )

    # machines and staff

    def _tag(self, a: Assignment) -> str:
        where = self.span(_minute(a.start), _minute(a.end))
        return f"{a.order} line {a.line} op {a.operation} {where}"

    def _family(self, a: Assignment) -> str | None:
        r = self.runs.get((a.order, a.line, a.operation))
        return r.op.setup_family if r is not None and r.assignment is a else None

    def _overlaps(self, items: list[Assignment], rule: str, resource: str) -> None:
        latest: Assignment | None = None
        for a in items:
            if latest is not None and _minute(a.start) < _minute(latest.end):
                self.add(
                    rule,
                    f"{resource}: {self._tag(a)} overlaps {self._tag(latest)}",
                )
            if latest is None or _minute(a.end) > _minute(latest.end):
                latest = a

    def check_machines(self) -> None:
        by_machine: dict[str, list[Assignment]] = defaultdict(list)
        for a in self.p.assignments:
            by_machine[a.machine].append(a)
        for machine_id, items in by_machine.items():
            items.sort(key=lambda a: (_minute(a.start), _minute(a.end)))
            self._overlaps(items, "no_overlap_machine", f"machine {machine_id}")
            machine = self.s.machine_by_id.get(machine_id)
            if machine is None:
                continue
            for prev, nxt in pairwise(items):
                f1, f2 = self._family(prev), self._family(nxt)
                if f1 is None or f2 is None or f1 == f2:
                    continue
                self.changeover_minutes += machine.changeover
                gap = _minute(nxt.start) - _minute(prev.end)
                if 0 <= gap < machine.changeover:
                    self.add(
                        "changeover",
                        f"machine {machine_id}: only {gap} min between {self._tag(prev)} "
                        f"(family {f1}) and {self._tag(nxt)} (family {f2}), "
                        f"changeover needs {machine.changeover} min",
                    )

    def check_staff(self) -> None:
        by_person: dict[str, list[Assignment]] = defaultdict(list)
        for a in self.p.assignments:
            for person in dict.fromkeys(a.staff):
                by_person[person].append(a)
        for person, items in by_person.items():
            items.sort(key=lambda a: (_minute(a.start), _minute(a.end)))
            self._overlaps(items, "no_overlap_staff", f"person {person}")

    # materials

    def check_materials(self) -> None:
        takes: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for r in self.runs.values():
            if r.op_index != 0:
                continue
            for material, per_unit in self.s.product_by_id[r.product].materials.items():
                takes[material].append(
                    (r.start, per_unit * r.quantity, f"{r.order.id} line {r.line}")
                )
        for material_id, items in takes.items():
            stock = self.s.material_by_id[material_id]
            receipts = sorted((_minute(x.at), x.quantity) for x in stock.receipts)
            items.sort()
            taken = 0
            short: list[tuple[int, int, int, str]] = []
            for k, (t, quantity, who) in enumerate(items):
                taken += quantity
                # All takes at the same instant count before availability is compared.
                if k + 1 < len(items) and items[k + 1][0] == t:
                    continue
                available = stock.on_hand + sum(q for at, q in receipts if at <= t)
                if taken > available:
                    short.append((t, taken, available, who))
            if short:
                t, taken_then, available, who = short[0]
                more = f" (and at {len(short) - 1} later instant(s))" if len(short) > 1 else ""
                self.add(
                    "material",
                    f"{material_id}: at {self.at(t)} ({who} starts) {taken_then} taken in total "
                    f"but only {available} available{more}",
                )

    # completion, tardiness, priority

    def check_completion(self) -> None:
        for order in self.s.orders:
            entry = self.decision.get(order.id)
            if entry is None or not entry.accepted:
                continue
            ends: list[int] = []
            known = True
            for i, line in enumerate(order.lines):
                source = self.source.get((order.id, i))
                if source == "stock":
                    ends.append(self.release(order))
                    continue
                last = self.s.product_by_id[line.product].routing[-1].id
                r = self.runs.get((order.id, i, last))
                if r is None:
                    known = False
                else:
                    ends.append(r.end)
            if not known or not ends:
                continue
            done = max(ends)
            self.completion[order.id] = done
            if entry.completion is not None and _minute(entry.completion) != done:
                self.add(
                    "completion",
                    f"{order.id} completion is {self.at(_minute(entry.completion))} in the plan, "
                    f"recomputed {self.at(done)}",
                )
            late = max(0, done - _minute(order.due))
            if entry.tardiness_minutes is not None and entry.tardiness_minutes != late:
                self.add(
                    "tardiness",
                    f"{order.id} tardiness_minutes is {entry.tardiness_minutes} in the plan, "
                    f"recomputed {late} (completion {self.at(done)}, "
                    f"due {self.at(_minute(order.due))})",
                )

    def _completion(self, order_id: str) -> int | None:
        if order_id in self.completion:
            return self.completion[order_id]
        reported = self.decision[order_id].completion
        return _minute(reported) if reported is not None else None

    def check_priority(self) -> None:
        accepted = [o for o, e in self.decision.items() if e.accepted]
        ranks = sorted(p for o in accepted if (p := self.decision[o].priority) is not None)
        if ranks and ranks != list(range(1, len(accepted) + 1)):
            self.add(
                "priority",
                f"priorities {ranks} are not a ranking 1..{len(accepted)} of the accepted orders",
            )
        ranked = sorted(
            (p, o, c)
            for o in accepted
            if (p := self.decision[o].priority) is not None
            and (c := self._completion(o)) is not None
        )
        for (p1, o1, c1), (p2, o2, c2) in pairwise(ranked):
            if c2 < c1:
                self.add(
                    "priority",
                    f"{o2} (priority {p2}, complete {self.at(c2)}) is ranked after "
                    f"{o1} (priority {p1}, complete {self.at(c1)})",
                )

    # baseline: frozen zone and stability

    def resolve_baseline(self) -> None:
        """Baseline operations that still exist (first mention of each), and the frozen ones."""
        if self.s.baseline is None:
            return
        freeze = self.s.policy.freeze_until
        for b in self.s.baseline.assignments:
            order = self.s.order_by_id.get(b.order)
            if order is None or b.line >= len(order.lines):
                continue
            routing = self.s.product_by_id[order.lines[b.line].product].routing
            op = next((x for x in routing if x.id == b.operation), None)
            if op is None:
                continue
            key = (b.order, b.line, b.operation)
            if key in self.references or key in self.frozen:
                continue
            if (
                freeze is not None
                and _minute(b.start) < _minute(freeze)
                and self._keepable(b, order, op)
            ):
                self.frozen[key] = b
            else:
                self.references[key] = b
        # Release, one at a time until nothing changes: an operation whose line has an
        # earlier operation that is not kept (it would start at or after freeze_until,
        # after its successor), then the later of two kept operations that meet on a
        # machine (overlap, or less than the changeover between different families) or
        # on a person.
        while True:
            released = self._unkeepable_prefix() or self._first_conflict()
            if released is None:
                break
            self.references[released] = self.frozen.pop(released)

    def _routing(self, key: _Key) -> list[Operation]:
        order_id, line, _ = key
        return self.s.product_by_id[self.s.order_by_id[order_id].lines[line].product].routing

    def _unkeepable_prefix(self) -> _Key | None:
        for key in self.frozen:
            order_id, line, name = key
            names = [op.id for op in self._routing(key)]
            if any(
                (order_id, line, prior) not in self.frozen for prior in names[: names.index(name)]
            ):
                return key
        return None

    def _first_conflict(self) -> _Key | None:
        machine_last: dict[str, tuple[int, str | None]] = {}
        person_last: dict[str, int] = {}
        for key in sorted(self.frozen, key=lambda k: _minute(self.frozen[k].start)):
            b = self.frozen[key]
            start, end = _minute(b.start), _minute(b.end)
            op = next(x for x in self._routing(key) if x.id == key[2])
            if b.machine in machine_last:
                prev_end, prev_family = machine_last[b.machine]
                gap = self.s.machine_by_id[b.machine].changeover
                differ = (
                    prev_family is not None
                    and op.setup_family is not None
                    and prev_family != op.setup_family
                )
                if start < prev_end or (differ and start - prev_end < gap):
                    return key
            if any(start < person_last.get(person, start) for person in b.staff):
                return key
            machine_last[b.machine] = (end, op.setup_family)
            for person in b.staff:
                person_last[person] = end
        return None

    def _keepable(self, b: BaselineAssignment, order: Order, op: Operation) -> bool:
        """Whether a baseline operation still fits the scenario exactly as it was."""
        start, end = _minute(b.start), _minute(b.end)
        if b.machine not in self.s.machine_by_id or b.machine not in op.machines:
            return False
        if end - start != op.duration(b.machine, order.lines[b.line].quantity):
            return False
        if start < self.h0 or end > self.h1 or start < self.release(order):
            return False
        time = self.working_time()
        machine = time.machine[b.machine]
        if not _inside_one(machine.stretches, machine.starts, start, end):
            return False
        if len(set(b.staff)) != len(b.staff) or len(b.staff) != op.crew_size:
            return False
        for person in b.staff:
            member = self.s.staff_by_id.get(person)
            if member is None or (op.skill is not None and op.skill not in member.skills):
                return False
            opened = time.person[person]
            if not _inside_one(opened.stretches, opened.starts, start, end):
                return False
        return True

    def check_frozen(self) -> None:
        """Frozen operations unchanged, nothing else before ``freeze_until``, stability hours."""
        self.resolve_baseline()
        for key, b in self.frozen.items():
            what = f"{b.order} line {b.line} op {b.operation}"
            start = _minute(b.start)
            kept = f"on {b.machine} at {self.at(start)}"
            r = self.runs.get(key)
            if r is None:
                self.add(
                    "frozen",
                    f"{what} is frozen ({kept} in the baseline) but the plan does not run it",
                )
                continue
            a = r.assignment
            changes = []
            if a.machine != b.machine:
                changes.append(f"machine {a.machine} instead of {b.machine}")
            if set(a.staff) != set(b.staff):
                changes.append(
                    f"staff [{', '.join(sorted(set(a.staff)))}] instead of "
                    f"[{', '.join(sorted(set(b.staff)))}]"
                )
            if r.start != start:
                changes.append(f"start {self.at(r.start)} instead of {self.at(start)}")
            if changes:
                self.add("frozen", f"{what} is frozen ({kept}) but has " + ", ".join(changes))
        freeze = self.s.policy.freeze_until
        for key, r in self.runs.items():
            if key in self.frozen:
                continue
            if freeze is not None and r.start < _minute(freeze):
                self.add(
                    "frozen",
                    f"{self._what(r)} is not a frozen baseline operation but starts before "
                    f"freeze_until {self.at(_minute(freeze))}",
                )
            ref = self.references.get(key)
            if ref is not None:
                moved = Fraction(abs(r.start - _minute(ref.start)), 60)
                self.stability_hours += moved + (r.assignment.machine != ref.machine)

    # objective

    def check_objective(self) -> dict[str, float]:
        policy = self.s.policy
        weights = policy.weights
        tardy = Fraction(0)
        rejected = Fraction(0)
        for order_id, entry in self.decision.items():
            order = self.s.order_by_id[order_id]
            if not entry.accepted:
                rejected += Fraction(order.value)
                continue
            done = self._completion(order_id)
            if done is not None:
                late = max(0, done - _minute(order.due))
                tardy += Fraction(self.s.tier_weight(order)) * Fraction(late, 60)
        ends = [_minute(a.end) for a in self.p.assignments]
        span = Fraction(max(ends) - self.h0, 60) if ends else Fraction(0)
        terms = {
            "tardiness": Fraction(weights.tardiness) * tardy,
            "rejection": Fraction(weights.rejection) * rejected,
            "makespan": Fraction(weights.makespan) * span,
            "changeover": Fraction(weights.changeover) * Fraction(self.changeover_minutes, 60),
            "stability": Fraction(weights.stability) * self.stability_hours,
        }
        terms["total"] = sum(terms.values(), Fraction(0))
        result = {name: float(terms[name]) for name in TERMS}
        reported = self.p.objective
        for name in TERMS:
            value = float(getattr(reported, name))
            if not _close(value, result[name]):
                self.add(
                    "objective",
                    f"objective {name} is {value!r} in the plan, recomputed {result[name]!r}",
                )
        bound = self.p.bound
        if bound is not None and bound > reported.total + _ABS_TOL + _REL_TOL * abs(reported.total):
            self.add(
                "objective",
                f"bound {bound!r} exceeds the objective total {reported.total!r}",
            )
        return result
