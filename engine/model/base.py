"""Shared building blocks of the domain model: the frozen base class and typed fields."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]
"""A path into a scenario: keys and list indexes (``("orders", 3, "lines", 0, "product")``)."""

LOCATED = "located_problems"
"""Error type of :func:`located`; readers of validation errors unpack its ``problems``."""


def located(problems: Iterable[tuple[Loc, str]]) -> PydanticCustomError:
    """An error carrying problems at paths below the value being validated.

    A model validator only knows the model's own location; this lets it name
    the offending field (``horizon.end``) or element (``routing[1].id``)
    instead, and report several problems at once.

    Parameters
    ----------
    problems
        ``(path relative to the validated value, message)`` pairs.
    """
    found = [(tuple(loc), message) for loc, message in problems]
    return PydanticCustomError(
        LOCATED, "{count} problem(s)", {"count": len(found), "problems": found}
    )


class Frozen(BaseModel):
    """Immutable model that rejects unknown keys.

    Every domain object derives from it: a typo in a scenario must be an error,
    never a silently ignored key, and a validated scenario never changes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _instant_input(value: object) -> object:
    # Pydantic would read a number as Unix seconds and a date as midnight; neither is
    # an instant a planner wrote on purpose.
    if isinstance(value, datetime | str):
        return value
    if isinstance(value, date):
        raise ValueError(
            f"{value.isoformat()} is a date without a time of day: write an instant "
            f"with a UTC offset such as {value.isoformat()}T06:00:00+01:00"
        )
    raise ValueError(
        "expected an ISO 8601 instant with a UTC offset such as "
        f"2026-12-01T06:00:00+01:00, got {value!r}"
    )


def _whole_minute(value: datetime) -> datetime:
    if value.second or value.microsecond:
        raise ValueError(
            f"{value.isoformat()} is not on a whole minute (the plan grid is one minute)"
        )
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_instant_input), AfterValidator(_whole_minute)]
"""An ISO 8601 instant with a UTC offset, on a whole minute."""

Id = Annotated[str, Field(min_length=1, max_length=200)]
"""An identifier: any non-empty string, unique within its kind."""

# Strict: a boolean or a quoted number is a mistake in a scenario, not a count of 1.
PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
