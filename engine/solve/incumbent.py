"""The best plan so far, shared by searches that run at the same time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction

from engine.problem import ProblemData
from engine.schedule import Schedule, terms

REPORT_EVERY = 0.25
"""Seconds between two reports of improvements (the last one is always reported)."""


class Incumbent:
    """A thread-safe best schedule that reports its improvements, at most a few per second.

    Parameters
    ----------
    data
        The problem the schedules belong to.
    schedule
        A feasible schedule to start from.
    on_improve
        Called with a better schedule and its objective total; calls close together
        are merged into the last of them.
    """

    def __init__(
        self,
        data: ProblemData,
        schedule: Schedule,
        on_improve: Callable[[Schedule, Fraction], None] | None = None,
    ) -> None:
        self._data = data
        self._lock = threading.Lock()
        self._schedule = schedule
        self._value = terms(data, schedule).total
        self._on_improve = on_improve
        self._reported = self._value
        self._last_report = 0.0

    def get(self) -> tuple[Schedule, Fraction]:
        """The best schedule and its objective total."""
        with self._lock:
            return self._schedule, self._value

    @property
    def value(self) -> Fraction:
        """The best objective total."""
        with self._lock:
            return self._value

    def offer(self, schedule: Schedule, value: Fraction | None = None) -> bool:
        """Keep ``schedule`` if it is strictly better; return whether it was kept."""
        value = terms(self._data, schedule).total if value is None else value
        with self._lock:
            if value >= self._value:
                return False
            self._schedule, self._value = schedule, value
            now = time.monotonic()
            if now - self._last_report >= REPORT_EVERY:
                self._report(now)
            return True

    def flush(self) -> None:
        """Report the best schedule if it has not been reported yet."""
        with self._lock:
            self._report(time.monotonic())

    def _report(self, now: float) -> None:
        if self._on_improve is None or self._value >= self._reported:
            return
        self._reported, self._last_report = self._value, now
        self._on_improve(self._schedule, self._value)
