"""Working-time calendars: weekly windows in local wall-clock time plus closures."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from engine.model.base import Frozen, Instant, located

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def clock_minutes(text: str) -> int:
    """Minutes after local midnight of a ``"HH:MM"`` clock time (``"24:00"`` is 1440)."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f'clock time {value!r} is a number: write it as a quoted string such as "06:00"'
        )
    if isinstance(value, str) and not _CLOCK.match(value):
        raise ValueError(f"clock time {value!r} is not HH:MM between 00:00 and 24:00")
    return value


Clock = Annotated[str, BeforeValidator(_clock)]


def _pair(value: object) -> object:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value
    raise ValueError(
        f'a window is a pair [from, to] of clock times such as ["06:00", "22:00"], got {value!r}'
    )


def _ordered_window(value: tuple[str, str]) -> tuple[str, str]:
    if clock_minutes(value[0]) >= clock_minutes(value[1]):
        raise ValueError(f"window [{value[0]}, {value[1]}] must have from < to")
    return value


Window = Annotated[tuple[Clock, Clock], BeforeValidator(_pair), AfterValidator(_ordered_window)]
"""A half-open local time window ``[from, to)`` within one day, written ``["06:00", "22:00"]``."""


class Period(Frozen):
    """A closed period ``[start, end)``: a holiday, shutdown, maintenance or breakdown."""

    start: Instant
    end: Instant
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise located(
                [
                    (
                        ("end",),
                        f"end {self.end.isoformat()} must be after start {self.start.isoformat()}",
                    )
                ]
            )
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _weekly(value: object) -> object:
    if value == "all":
        return value
    if not isinstance(value, Mapping):
        raise ValueError(
            f'weekly is "all" or a mapping from weekday (mon..sun) to windows, got {value!r}'
        )
    unknown = [key for key in value if key not in DAYS]
    if unknown:
        raise located(
            ((key,), f"unknown weekday {key!r}: use mon, tue, wed, thu, fri, sat or sun")
            for key in unknown
        )
    return value


class Calendar(Frozen):
    """Working time of a resource.

    ``weekly`` is either ``"all"`` (open around the clock) or a mapping from
    weekday to windows; a day left out is closed. ``closed`` lists exceptions.
    """

    weekly: Annotated[Literal["all"] | dict[Weekday, list[Window]], BeforeValidator(_weekly)]
    closed: list[Period] = Field(default_factory=list)


ALWAYS = Calendar(weekly="all")
"""The built-in calendar ``always``: open around the clock."""
