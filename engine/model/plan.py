"""The engine's answer to a scenario: order decisions and an operation-level schedule."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from engine.model.base import Instant


class Status(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


class _PlanPart(BaseModel):
    # Plans may carry more fields than the format lists; readers keep what they know.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Objective(_PlanPart):
    """Every objective term, already multiplied by its weight, and their total."""

    total: float = 0.0
    tardiness: float = 0.0
    rejection: float = 0.0
    makespan: float = 0.0
    changeover: float = 0.0
    stability: float = 0.0


class PlanLine(_PlanPart):
    """How one order line is served."""

    product: str
    quantity: int
    source: str = Field(pattern="^(stock|production)$")


class PlanOrder(_PlanPart):
    """The decision for one order."""

    id: str
    accepted: bool
    priority: int | None = None
    completion: Instant | None = None
    tardiness_minutes: int | None = None
    lines: list[PlanLine] = Field(default_factory=list)
    customer: str | None = None
    tier: str | None = None
    due: Instant | None = None


class Assignment(_PlanPart):
    """One operation of one production line, on a machine, with its crew."""

    order: str
    line: int
    operation: str
    machine: str
    staff: list[str] = Field(default_factory=list)
    start: Instant
    end: Instant


class Plan(_PlanPart):
    """A plan in the format of ``scenario-format.md``.

    ``reasons`` explains an infeasible or empty result in terms a planner can
    act on; ``warnings`` lists what of a baseline could not be kept; ``method``
    says which engine produced it.
    """

    scenario: str
    status: Status
    objective: Objective = Field(default_factory=Objective)
    bound: float | None = None
    solve_seconds: float = 0.0
    orders: list[PlanOrder] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    method: str | None = None
    reasons: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    """What of the baseline could not be kept, and other things a planner should know."""
