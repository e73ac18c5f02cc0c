"""Shared building blocks of the domain model: the frozen base class and typed fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """Immutable model that rejects unknown keys.

    Every domain object derives from it: a typo in a scenario must be an error,
    never a silently ignored key, and a validated scenario never changes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _whole_minute(value: datetime) -> datetime:
    if value.second or value.microsecond:
        raise ValueError("instants must fall on a whole minute (the plan grid is one minute)")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_whole_minute)]
"""An ISO 8601 instant with a UTC offset, on a whole minute."""

Id = Annotated[str, Field(min_length=1, max_length=200)]
"""An identifier: any non-empty string, unique within its kind."""

PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
