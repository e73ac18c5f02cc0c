"""Request and response bodies of the API (layered ``XBase -> XCreate / XPublic``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from engine.expedite import OrderImpact
from engine.model import Objective, Plan

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


class JobKind(StrEnum):
    """What a job computes: a plan (``solve``) or an expedite preview (``expedite``)."""

    SOLVE = "solve"
    EXPEDITE = "expedite"


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
    kind: JobKind = Field(
        default=JobKind.SOLVE,
        description="`solve`, or `expedite` for the preview of an expedite request.",
    )
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


class PublishedPlanBase(BaseModel):
    """A published version of a scenario's plan, without the plan."""

    id: str
    scenario_id: str
    version: int = Field(description="1 for the scenario's first published plan, then 2, 3, ...")
    current: bool = Field(description="Whether this is the scenario's current published plan.")
    source: JobKind = Field(
        description="`solve` (published from a solve) or `expedite` (an approved expedite)."
    )
    solve_id: str = Field(description="The job whose plan this is.")
    expedite_id: str | None = Field(
        default=None, description="The approved expedite, for `source: expedite`."
    )
    status: str = Field(description="The plan's status: optimal or feasible.")
    objective: float | None = None
    published_by: str = Field(description="Id of the publishing key (a hash, never the key).")
    published_role: str
    published_at: datetime


class PublishedPlanPublic(PublishedPlanBase):
    """A published plan with its content."""

    plan: Plan


class PublishedPlanList(BaseModel):
    """Published plans, newest first."""

    items: list[PublishedPlanBase]
    total: int


class ExpediteStatus(StrEnum):
    """Where an expedite request stands.

    ``previewing`` while the engine computes the preview, then ``ready`` for
    the planner's decision (or ``failed`` when no preview could be made), then
    ``approved`` (its plan is published) or ``rejected``.
    """

    PREVIEWING = "previewing"
    READY = "ready"
    FAILED = "failed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExpediteCreate(BaseModel):
    """An expedite request: bring an order of a scenario forward to a date, and why."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "scenario_id": "example-teaching",
                    "order_id": "T-3",
                    "requested_due": "2026-03-04T12:00:00+01:00",
                    "reason": "the cafe opens a second shop on Thursday",
                }
            ]
        },
    )

    scenario_id: str = Field(
        min_length=1, max_length=64, description="The scenario with a published plan."
    )
    order_id: str = Field(
        min_length=1,
        max_length=200,
        validation_alias=AliasChoices("order_id", "order"),
        description="The order to bring forward (also accepted as `order`).",
    )
    requested_due: AwareDatetime = Field(
        validation_alias=AliasChoices("requested_due", "due"),
        description="The date asked for, ISO 8601 with a UTC offset (also accepted as `due`).",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why, for the planner.")
    time_limit: float = Field(
        default=10.0,
        gt=0,
        description="Seconds the preview may take (at most `time_limit_cap`); when the date "
        "cannot be met, finding the earliest one takes up to a second more.",
    )
    workers: int | None = Field(
        default=None, ge=1, description="CP-SAT workers; at most `workers_per_solve`."
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed.")


class Comment(BaseModel):
    """A comment on an expedite."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=2000)


class Decision(BaseModel):
    """A planner's decision on an expedite, with a comment."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "ok, T-4 can wait"}]}
    )

    comment: str = Field(default="", max_length=2000)


class AuditEntry(BaseModel):
    """One entry of an expedite's audit trail.

    ``kind``: ``requested``, ``preview_ready``, ``preview_failed``, ``approved``,
    ``rejected`` or ``commented``.
    """

    id: int
    kind: str
    at: datetime
    actor: str | None = Field(default=None, description="Key id (a hash), or none for the engine.")
    role: str | None = None
    comment: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class ExpeditePreviewPublic(BaseModel):
    """What the expedite costs, computed against the published plan."""

    order: str
    requested_due: datetime
    can_meet: bool = Field(description="Whether the order completes by the requested date.")
    completion: datetime | None = Field(description="The order's completion in the new plan.")
    earliest_completion: datetime | None = Field(
        description="The earliest completion the plant can give the order."
    )
    objective_before: Objective = Field(description="Every term in the published plan.")
    objective_after: Objective = Field(description="Every term in the new plan.")
    cost: float = Field(description="objective_after.total - objective_before.total.")
    slipping: list[str] = Field(
        description="Orders that complete later than published, or are no longer served."
    )
    orders: list[OrderImpact] = Field(description="Every other order, those that slip first.")
    plan: Plan | None = Field(default=None, description="The new plan (left out in lists).")


class ExpeditePublic(BaseModel):
    """An expedite request, its preview, the decision and the audit trail."""

    id: str
    scenario_id: str
    order_id: str
    requested_due: datetime
    reason: str
    status: ExpediteStatus
    requested_by: str = Field(description="Id of the requesting key (a hash, never the key).")
    requested_role: str
    created_at: datetime
    job_id: str = Field(description="The preview job: progress at `/v1/solves/{job_id}/events`.")
    job_status: JobStatus
    baseline_plan_id: str
    baseline_version: int = Field(description="Published version the preview starts from.")
    baseline_current: bool = Field(
        description="Whether that version is still the current published plan (approval "
        "needs it to be)."
    )
    error: str | None = None
    preview: ExpeditePreviewPublic | None = None
    published_plan_id: str | None = None
    published_version: int | None = None
    decided_by: str | None = None
    decision_comment: str | None = None
    decided_at: datetime | None = None
    audit: list[AuditEntry] = Field(default_factory=list)


class ExpediteList(BaseModel):
    """Expedite requests, newest first, each with its audit trail."""

    items: list[ExpeditePublic]
    total: int
