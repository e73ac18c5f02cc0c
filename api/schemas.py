"""Request and response bodies of the API (layered ``XBase -> XCreate / XPublic``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.model import Plan

EXAMPLE_SCENARIO: dict[str, Any] = {
    "version": 1,
    "name": "two orders",
    "timezone": "UTC",
    "horizon": {"start": "2026-12-01T00:00:00+00:00", "end": "2026-12-03T00:00:00+00:00"},
    "machines": [{"id": "saw"}],
    "products": [{"id": "shelf", "routing": [{"id": "cut", "machines": {"saw": 30}}]}],
    "customers": [{"id": "acme", "tier": "key"}, {"id": "bolt"}],
    "orders": [
        {
            "id": "A-1",
            "customer": "acme",
            "lines": [{"product": "shelf", "quantity": 2}],
            "due": "2026-12-01T02:00:00+00:00",
        },
        {
            "id": "B-1",
            "customer": "bolt",
            "lines": [{"product": "shelf", "quantity": 1}],
            "due": "2026-12-01T01:00:00+00:00",
        },
    ],
    "policy": {"tier_weights": {"key": 3, "standard": 1}},
}
"""A small valid scenario, used as the OpenAPI example of request bodies."""


class JobStatus(StrEnum):
    """Where a solve job stands."""

    QUEUED = "queued"
    SOLVING = "solving"
    COMPLETED = "completed"
    INFEASIBLE = "infeasible"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """Whether the job has ended."""
        return self not in (JobStatus.QUEUED, JobStatus.SOLVING)


class Problem(BaseModel):
    """One thing wrong with a request, located by its path (``orders[3].lines[0].product``)."""

    path: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer: what went wrong and, where it applies, each problem."""

    detail: str
    problems: list[Problem] = Field(default_factory=list)


class ScenarioInput(BaseModel):
    """A scenario, given as a JSON object (``scenario``) or as YAML or JSON text
    (``scenario_text``): exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"scenario": EXAMPLE_SCENARIO}]},
    )

    scenario: dict[str, Any] | None = Field(
        default=None, description="The scenario as a JSON object (format version 1)."
    )
    scenario_text: str | None = Field(
        default=None, description="The scenario as YAML or JSON text, e.g. a file's content."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioInput:
        given = [x for x in self._sources() if x is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(self._source_names())}")
        return self

    def _sources(self) -> list[object]:
        return [self.scenario, self.scenario_text]

    def _source_names(self) -> list[str]:
        return ["scenario", "scenario_text"]


class SolveCreate(ScenarioInput):
    """A solve request: a scenario (inline, as text, or a stored one's id) and limits."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scenario": EXAMPLE_SCENARIO, "time_limit": 5, "workers": 1, "seed": 0},
                {"scenario_id": "example-teaching", "time_limit": 10},
            ]
        },
    )

    scenario_id: str | None = Field(
        default=None, description="Id of a stored scenario (see `GET /v1/scenarios`)."
    )
    time_limit: float = Field(
        default=10.0,
        gt=0,
        description="Seconds the solve may take; at most the server's cap "
        "(`time_limit_cap`, or `sync_time_limit_cap` for `POST /v1/solve`).",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        description="CP-SAT search workers; at most, and by default, the server's "
        "`workers_per_solve`.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed.")
    method: Literal["cp", "dispatch"] = Field(
        default="cp", description="`cp` (optimizer) or `dispatch` (fast heuristic alone)."
    )

    def _sources(self) -> list[object]:
        return [self.scenario, self.scenario_text, self.scenario_id]

    def _source_names(self) -> list[str]:
        return ["scenario", "scenario_text", "scenario_id"]


class ValidationReport(BaseModel):
    """The outcome of validating a scenario: OK, or every problem with its path."""

    valid: bool
    name: str | None = None
    orders: int | None = None
    problems: list[Problem] = Field(default_factory=list)


class ScenarioBase(BaseModel):
    """What identifies a stored scenario."""

    id: str
    name: str
    origin: Literal["upload", "example"]
    orders: int
    created_at: datetime


class ScenarioPublic(ScenarioBase):
    """A stored scenario with its content."""

    content: dict[str, Any]


class ScenarioList(BaseModel):
    """Stored scenarios, examples first."""

    items: list[ScenarioBase]


class SolveBase(BaseModel):
    """A solve job's state without its plan."""

    id: str
    scenario_id: str
    scenario_name: str
    status: JobStatus
    queue_position: int | None = Field(
        default=None, description="1 for the next job to start; only for queued jobs."
    )
    time_limit: float
    workers: int
    seed: int
    method: str
    attempts: int = Field(description="Times the job was started (more than 1 after a restart).")
    objective: float | None = Field(default=None, description="Objective total of the best plan.")
    bound: float | None = Field(default=None, description="Proven lower bound on the objective.")
    gap: float | None = Field(default=None, description="(objective - bound) / objective.")
    plan_status: str | None = Field(
        default=None, description="The plan's own status: optimal, feasible, infeasible, unknown."
    )
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class SolvePublic(SolveBase):
    """A solve job with its best plan so far (the final plan once it ended)."""

    plan: Plan | None = None


class SolveList(BaseModel):
    """Solve jobs, newest first."""

    items: list[SolveBase]
    total: int


class SolveEvent(BaseModel):
    """One stored event of a job, as sent in its server-sent event stream.

    ``kind`` is the SSE event name: ``queued``, ``started``, ``progress`` (an
    improving plan), ``requeued`` (after a server stop) or ``end`` (once).
    """

    id: int
    job_id: str
    kind: str
    at: datetime
    data: dict[str, Any]


class Health(BaseModel):
    """Liveness and queue state."""

    status: Literal["ok"]
    database: Literal["ok"]
    queued: int
    solving: int
    max_concurrent_solves: int
