"""The one-minute planning grid: instants as minutes from the horizon start, open time as intervals.

Every engine part (model building, dispatching, explanations) reads time
through :class:`TimeGrid`, so calendars are expanded once and the same way.
The independent checker does not use this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property

from engine.model import DAYS, Calendar, Period, Scenario
from engine.model.calendar import clock_minutes

Intervals = list[tuple[int, int]]
"""Sorted, disjoint, non-touching half-open minute intervals ``[a, b)``."""


def merge(intervals: Iterable[tuple[int, int]]) -> Intervals:
    """Sort and join overlapping or touching intervals, dropping empty ones."""
    out: Intervals = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(intervals: Intervals, holes: Iterable[tuple[int, int]]) -> Intervals:
    """Remove ``holes`` from sorted disjoint ``intervals``."""
    result = intervals
    for ha, hb in merge(holes):
        nxt: Intervals = []
        for a, b in result:
            if hb <= a or ha >= b:
                nxt.append((a, b))
                continue
            if a < ha:
                nxt.append((a, ha))
            if hb < b:
                nxt.append((hb, b))
        result = nxt
    return result


def intersect(x: Intervals, y: Intervals) -> Intervals:
    """Intersection of two sorted disjoint interval lists."""
    out: Intervals = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def start_windows(intervals: Sequence[tuple[int, int]], duration: int) -> Intervals:
    """Closed ranges ``[lo, hi]`` of starts at which ``duration`` minutes fit in one interval."""
    return [(a, b - duration) for a, b in intervals if b - a >= duration]


def fits(intervals: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` lies wholly inside one of the intervals."""
    return any(a <= start and end <= b for a, b in intervals)


def earliest_fit(intervals: Sequence[tuple[int, int]], earliest: int, duration: int) -> int | None:
    """The earliest start at or after ``earliest`` at which ``duration`` fits, or None."""
    for a, b in intervals:
        start = max(a, earliest)
        if start + duration <= b:
            return start
    return None


class TimeGrid:
    """Minutes from the horizon start, and the working time of every resource on that grid.

    Parameters
    ----------
    scenario
        The validated scenario whose horizon, time zone and calendars define the grid.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.origin = scenario.horizon.start
        self.end = self.minute(scenario.horizon.end)

    def minute(self, instant: datetime) -> int:
        """Whole minutes from the horizon start to ``instant`` (negative before it)."""
        return int((instant - self.origin).total_seconds() // 60)

    def instant(self, minute: int) -> datetime:
        """The instant ``minute`` minutes after the horizon start, at the zone's UTC offset then.

        The offset is fixed, not the zone itself: Python compares two datetimes of one
        zone by wall-clock time, which is wrong inside the repeated hour of a DST change.
        """
        local = (self.origin + timedelta(minutes=minute)).astimezone(self.scenario.zone)
        offset = local.utcoffset()
        return local.replace(tzinfo=timezone(offset)) if offset is not None else local

    def _periods(self, periods: Iterable[Period]) -> Intervals:
        return merge((self.minute(p.start), self.minute(p.end)) for p in periods)

    def calendar_intervals(self, calendar: Calendar) -> Intervals:
        """Open time of a calendar within the horizon: weekly windows minus closures."""
        if calendar.weekly == "all":
            base: Intervals = [(0, self.end)]
        else:
            zone = self.scenario.zone
            first = self.scenario.horizon.start.astimezone(zone).date() - timedelta(days=1)
            last = self.scenario.horizon.end.astimezone(zone).date() + timedelta(days=1)
            raw: list[tuple[int, int]] = []
            day = first
            while day <= last:
                windows = calendar.weekly.get(DAYS[day.weekday()], [])  # type: ignore[call-overload]
                if self._changes_offset(day):
                    raw.extend(self._scan_day(day, windows))
                else:
                    raw.extend((self._local(day, lo), self._local(day, hi)) for lo, hi in windows)
                day += timedelta(days=1)
            base = merge((max(a, 0), min(b, self.end)) for a, b in raw)
        return subtract(base, self._periods(calendar.closed))

    def _changes_offset(self, day: date) -> bool:
        zone = self.scenario.zone
        today = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        tomorrow = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).utcoffset()
        return today != tomorrow

    def _scan_day(self, day: date, windows: list[tuple[str, str]]) -> list[tuple[int, int]]:
        """Open minutes of a day on which the clocks change, read off the wall clock.

        A window is wall-clock time: when clocks go back, a window starting inside the
        repeated hour opens at its first passage, closes as the clock falls back before
        its start, and opens again; when they go forward, a window starting in the skipped
        hour opens when the clock jumps past its start.
        """
        if not windows:
            return []
        spans = [(clock_minutes(lo), clock_minutes(hi)) for lo, hi in windows]
        zone = self.scenario.zone
        begin = self.minute(datetime.combine(day, time(0), tzinfo=zone))
        finish = self.minute(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
        out: list[tuple[int, int]] = []
        for m in range(begin, finish):
            local = (self.origin + timedelta(minutes=m)).astimezone(zone)
            if local.date() != day:
                continue
            wall = local.hour * 60 + local.minute
            if any(a <= wall < b for a, b in spans):
                out.append((m, m + 1))
        return merge(out)

    def _local(self, day: date, clock: str) -> int:
        hours, minutes = (int(x) for x in clock.split(":"))
        if hours == 24:
            day, hours = day + timedelta(days=1), 0
        local = datetime.combine(day, time(hours, minutes), tzinfo=self.scenario.zone)
        return self.minute(local)

    @cached_property
    def machine_open(self) -> dict[str, Intervals]:
        """Working time of each machine: its calendar minus its downtime."""
        return {
            m.id: subtract(
                self.calendar_intervals(self.scenario.calendar(m.calendar)),
                self._periods(m.downtime),
            )
            for m in self.scenario.machines
        }

    @cached_property
    def staff_open(self) -> dict[str, Intervals]:
        """Working time of each staff member."""
        return {
            s.id: self.calendar_intervals(self.scenario.calendar(s.calendar))
            for s in self.scenario.staff
        }

    def release(self, order_id: str) -> int:
        """An order's release on the grid, never before the horizon start."""
        order = self.scenario.order_by_id[order_id]
        return max(0, self.minute(order.release)) if order.release is not None else 0

    def completion_if_stock(self, order_id: str) -> int:
        """Completion minute of a line served from stock: the order's release."""
        order = self.scenario.order_by_id[order_id]
        return self.minute(order.release) if order.release is not None else 0
