"""Equipment and staff."""

from __future__ import annotations

from pydantic import Field

from engine.model.base import Frozen, Id, NonNegativeFloat, NonNegativeInt
from engine.model.calendar import Period


class Machine(Frozen):
    """A piece of equipment that runs one operation at a time.

    Parameters
    ----------
    id
        Unique machine id.
    calendar
        Name of its working-time calendar (default ``always``).
    changeover
        Minutes that must pass between two directly consecutive operations of
        different setup families.
    downtime
        Planned maintenance or breakdowns, during which nothing runs.
    cost_per_hour
        Optional running cost, for cost figures.
    """

    id: Id
    calendar: Id = "always"
    changeover: NonNegativeInt = 0
    downtime: list[Period] = Field(default_factory=list)
    cost_per_hour: NonNegativeFloat | None = None


class StaffMember(Frozen):
    """A person with skills, who works on one operation at a time."""

    id: Id
    skills: list[Id] = Field(default_factory=list)
    calendar: Id = "always"
    cost_per_hour: NonNegativeFloat | None = None
