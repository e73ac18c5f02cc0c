"""Published plans: publish a solve's plan as a scenario's next version; list and read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import jobs
from api.deps import Planner, Reader, SessionDep
from api.errors import Conflict, NotFound, responses
from api.schemas import (
    JobKind,
    JobStatus,
    PublishedPlanBase,
    PublishedPlanList,
    PublishedPlanPublic,
)
from api.store import ExpediteRow, PlanRow, PublishedPlanRow
from engine.model import Plan

router = APIRouter(prefix="/v1", tags=["plans"])

PUBLISHABLE = ("optimal", "feasible")
"""Plan statuses that can be published."""


def plan_view(
    session: Session,
    row: PublishedPlanRow,
    *,
    with_plan: bool = False,
    current_id: str | None = None,
) -> PublishedPlanBase:
    """The public form of a published plan (with the plan when ``with_plan``)."""
    if current_id is None:
        current = jobs.current_published(session, row.scenario_id)
        current_id = current.id if current is not None else None
    expedite_id = None
    if row.source == JobKind.EXPEDITE.value:
        expedite_id = session.scalars(
            select(ExpediteRow.id).where(ExpediteRow.published_plan_id == row.id)
        ).first()
    base = PublishedPlanBase(
        id=row.id,
        scenario_id=row.scenario_id,
        version=row.version,
        current=row.id == current_id,
        source=JobKind(row.source),
        solve_id=row.solve_id,
        expedite_id=expedite_id,
        status=row.status,
        objective=row.objective,
        published_by=jobs.short_key(row.published_by) or "",
        published_role=row.published_role,
        published_at=row.published_at,
    )
    if not with_plan:
        return base
    return PublishedPlanPublic(**base.model_dump(), plan=Plan.model_validate(row.content))


@router.post(
    "/plans/{solve_id}/publish",
    status_code=201,
    response_model=PublishedPlanPublic,
    summary="Publish a solve's plan as its scenario's current plan",
    responses=responses(401, 403, 404, 409),
)
def publish_plan(
    solve_id: str, response: Response, session: SessionDep, caller: Planner
) -> PublishedPlanBase:
    """Publish the plan of an ended solve as the next version of its scenario's plan.

    Versions count 1, 2, ... per scenario and are never overwritten; the highest
    is the current published plan, which expedites are previewed against.
    409 while the solve runs, when it has no plan (infeasible, failed), when it
    is an expedite preview (approve the expedite instead), or when its plan is
    already the current one.
    """
    with jobs.PUBLISH_LOCK:
        job = jobs.get_job(session, solve_id)
        if job.kind != JobKind.SOLVE.value:
            raise Conflict(
                f"solve {solve_id} is an expedite preview: approve its expedite to publish it"
            )
        if not JobStatus(job.status).terminal:
            raise Conflict(f"solve {solve_id} is still {job.status}: publish it once it has ended")
        plan = session.get(PlanRow, job.id)
        if plan is None or plan.status not in PUBLISHABLE:
            raise Conflict(f"solve {solve_id} has no plan to publish (it ended {job.status})")
        current = jobs.current_published(session, job.scenario_id)
        if current is not None and current.solve_id == job.id:
            raise Conflict(
                f"the plan of solve {solve_id} is already the current published plan "
                f"(version {current.version}) of scenario {job.scenario_id}"
            )
        row = jobs.publish(
            session,
            job,
            plan,
            source=JobKind.SOLVE,
            key=caller.key_id,
            role=caller.role.value,
        )
        session.commit()
    response.headers["Location"] = f"/v1/plans/{row.id}"
    return plan_view(session, row, with_plan=True, current_id=row.id)


@router.get(
    "/plans",
    response_model=PublishedPlanList,
    summary="List published plans, newest first",
    responses=responses(401, 403, 404, 422),
)
def list_plans(
    session: SessionDep,
    _role: Reader,
    scenario_id: Annotated[
        str | None, Query(max_length=64, description="Only this scenario's versions.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> PublishedPlanList:
    """Published plans without their content, newest first; ``current`` marks each
    scenario's current one."""
    query = select(PublishedPlanRow)
    counting = select(func.count()).select_from(PublishedPlanRow)
    if scenario_id is not None:
        jobs.get_scenario(session, scenario_id)
        query = query.where(PublishedPlanRow.scenario_id == scenario_id)
        counting = counting.where(PublishedPlanRow.scenario_id == scenario_id)
    rows = session.scalars(
        query.order_by(PublishedPlanRow.published_at.desc(), PublishedPlanRow.version.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    currents: dict[str, str | None] = {}
    items = []
    for row in rows:
        if row.scenario_id not in currents:
            current = jobs.current_published(session, row.scenario_id)
            currents[row.scenario_id] = current.id if current is not None else None
        items.append(plan_view(session, row, current_id=currents[row.scenario_id]))
    return PublishedPlanList(items=items, total=session.scalar(counting) or 0)


@router.get(
    "/plans/{plan_id}",
    response_model=PublishedPlanPublic,
    summary="Read a published plan",
    responses=responses(401, 403, 404),
)
def get_plan(plan_id: str, session: SessionDep, _role: Reader) -> PublishedPlanBase:
    """One published version with its plan."""
    return plan_view(session, jobs.get_published(session, plan_id), with_plan=True)


@router.get(
    "/scenarios/{scenario_id}/published",
    response_model=PublishedPlanPublic,
    summary="Read a scenario's current published plan",
    responses=responses(401, 403, 404),
)
def get_current_plan(scenario_id: str, session: SessionDep, _role: Reader) -> PublishedPlanBase:
    """The scenario's current published plan (its highest version); 404 when it has none."""
    jobs.get_scenario(session, scenario_id)
    row = jobs.current_published(session, scenario_id)
    if row is None:
        raise NotFound(f"scenario {scenario_id!r} has no published plan yet")
    return plan_view(session, row, with_plan=True, current_id=row.id)
