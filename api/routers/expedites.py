"""Expedites: marketing asks for an order by a date, the engine prices it, the planner decides.

A request is previewed against the scenario's current published plan by a job
in the solver processes (kind ``expedite``, progress events like any solve);
approving it publishes the preview's plan as the scenario's next version.
Every request, preview, decision and comment is kept in the audit log.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import jobs
from api.config import Role
from api.deps import (
    Caller,
    NotifierDep,
    Planner,
    Reader,
    Requester,
    RunnerDep,
    SessionDep,
    SettingsDep,
)
from api.errors import Conflict, InvalidRequest, NotFound, TooManyRequests, responses
from api.schemas import (
    AuditEntry,
    Comment,
    Decision,
    ExpediteCreate,
    ExpediteList,
    ExpeditePreviewPublic,
    ExpeditePublic,
    ExpediteStatus,
    JobKind,
    JobStatus,
)
from api.store import ExpediteAuditRow, ExpediteRow, JobRow, PlanRow, PublishedPlanRow, utcnow
from engine.expedite import ExpediteError, expedite_scenario
from engine.io import ScenarioError, scenario_from_data
from engine.model import Plan

router = APIRouter(prefix="/v1/expedites", tags=["expedites"])

QUOTA_WINDOW = timedelta(days=7)
"""The rolling window of the expedite quota."""
COUNTED = (ExpediteStatus.PREVIEWING, ExpediteStatus.READY, ExpediteStatus.APPROVED)
"""Expedites that count against their requester's quota: open or approved."""

_REQUEST_LOCK = threading.Lock()
# Counting a key's expedites and adding one must not interleave with another request of the
# same key, or two requests could both pass the quota (one service per store).


def _audit_view(row: ExpediteAuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        kind=row.kind,
        at=row.created_at,
        actor=jobs.short_key(row.actor),
        role=row.role,
        comment=row.comment,
        data=row.data,
    )


def _preview_view(
    session: Session, row: ExpediteRow, with_plan: bool
) -> ExpeditePreviewPublic | None:
    if row.preview is None:
        return None
    data: dict[str, Any] = dict(row.preview)
    plan = None
    if with_plan:
        stored = session.get(PlanRow, row.job_id)
        plan = Plan.model_validate(stored.content) if stored is not None else None
    before = float(data["objective_before"]["total"])
    after = float(data["objective_after"]["total"])
    return ExpeditePreviewPublic.model_validate(
        {
            **data,
            "cost": after - before,
            "slipping": [o["id"] for o in data["orders"] if o["slips"]],
            "plan": plan,
        }
    )


def expedite_view(
    session: Session,
    row: ExpediteRow,
    *,
    with_plan: bool = False,
    audit: list[ExpediteAuditRow] | None = None,
) -> ExpeditePublic:
    """The public form of an expedite with its audit trail (and the new plan when asked)."""
    if audit is None:
        audit = list(
            session.scalars(
                select(ExpediteAuditRow)
                .where(ExpediteAuditRow.expedite_id == row.id)
                .order_by(ExpediteAuditRow.id)
            ).all()
        )
    job = session.get(JobRow, row.job_id)
    baseline = session.get(PublishedPlanRow, row.baseline_plan_id)
    current = jobs.current_published(session, row.scenario_id)
    published = (
        session.get(PublishedPlanRow, row.published_plan_id) if row.published_plan_id else None
    )
    return ExpeditePublic(
        id=row.id,
        scenario_id=row.scenario_id,
        order_id=row.order_id,
        requested_due=datetime.fromisoformat(row.requested_due),
        reason=row.reason,
        status=ExpediteStatus(row.status),
        requested_by=jobs.short_key(row.requested_by) or "",
        requested_role=row.requested_role,
        created_at=row.created_at,
        job_id=row.job_id,
        job_status=JobStatus(job.status if job is not None else JobStatus.FAILED.value),
        baseline_plan_id=row.baseline_plan_id,
        baseline_version=baseline.version if baseline is not None else 0,
        baseline_current=current is not None and current.id == row.baseline_plan_id,
        error=row.error,
        preview=_preview_view(session, row, with_plan),
        published_plan_id=row.published_plan_id,
        published_version=published.version if published is not None else None,
        decided_by=jobs.short_key(row.decided_by),
        decision_comment=row.decision_comment,
        decided_at=row.decided_at,
        audit=[_audit_view(a) for a in audit],
    )


def get_expedite(session: Session, expedite_id: str) -> ExpediteRow:
    """An expedite, or :class:`NotFound`."""
    row = session.get(ExpediteRow, expedite_id)
    if row is None:
        raise NotFound(f"no expedite with id {expedite_id!r}")
    return row


def check_quota(session: Session, caller: Caller, quota: int, now: datetime) -> None:
    """Refuse a marketing key's request beyond its quota, saying when the quota frees up.

    Raises
    ------
    TooManyRequests
        With ``Retry-After`` in seconds: until enough of the counted requests are
        older than 7 days.
    """
    if caller.role != Role.MARKETING:
        return
    counted = list(
        session.scalars(
            select(ExpediteRow.created_at)
            .where(
                ExpediteRow.requested_by == caller.key_id,
                ExpediteRow.status.in_([s.value for s in COUNTED]),
                ExpediteRow.created_at > now - QUOTA_WINDOW,
            )
            .order_by(ExpediteRow.created_at)
        ).all()
    )
    if len(counted) < quota:
        return
    # Below the quota again once all but quota - 1 of them have left the window.
    frees = counted[len(counted) - quota] + QUOTA_WINDOW if quota else None
    if frees is None:
        raise TooManyRequests("expedite requests are switched off for marketing (quota 0)")
    seconds = max(1, math.ceil((frees - now).total_seconds()))
    raise TooManyRequests(
        f"expedite quota used up: this key has {len(counted)} open or approved expedite "
        f"request(s) in the last 7 days, at most {quota} are allowed; the next request is "
        f"possible from {frees.isoformat(timespec='seconds')} (in {seconds} s)",
        headers={"Retry-After": str(seconds)},
    )


def _validate_order(session: Session, body: ExpediteCreate, baseline: PublishedPlanRow) -> None:
    """422 at request time for an order the engine would refuse (unknown or already done)."""
    scenario = scenario_from_data(jobs.get_scenario(session, body.scenario_id).content)
    try:
        expedite_scenario(
            scenario, Plan.model_validate(baseline.content), body.order_id, body.requested_due
        )
    except ExpediteError as exc:
        raise InvalidRequest(str(exc), [("order_id", str(exc))]) from None
    except (ScenarioError, ValidationError) as exc:
        raise InvalidRequest(
            f"order {body.order_id} cannot be expedited to {body.requested_due.isoformat()}: {exc}",
            [("requested_due", "the scenario does not accept this date for the order")],
        ) from None


@router.post(
    "",
    status_code=202,
    response_model=ExpeditePublic,
    summary="Request an expedite: an order by a date, and why",
    responses=responses(401, 403, 404, 409, 413, 422, 429),
)
def request_expedite(
    body: ExpediteCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
    notifier: NotifierDep,
    caller: Requester,
) -> ExpeditePublic:
    """Queue the preview of an expedite against the scenario's current published plan (202).

    The preview runs in the solver processes like a solve (its progress at
    ``/v1/solves/{job_id}/events``); ``GET /v1/expedites/{id}`` shows it once
    ``status`` is ``ready``. 404 for an unknown scenario, 409 when it has no
    published plan yet, 422 for an order that does not exist or is already done
    (completed before the scenario's ``policy.freeze_until`` in the published plan),
    429 when a marketing key has ``expedite_quota`` open or approved requests
    in the last 7 days (``Retry-After`` says when one frees up).
    """
    scenario_row = jobs.get_scenario(session, body.scenario_id)
    baseline = jobs.current_published(session, scenario_row.id)
    if baseline is None:
        raise Conflict(
            f"scenario {scenario_row.id!r} has no published plan yet: a planner publishes one "
            "with POST /v1/plans/{solve_id}/publish"
        )
    workers = jobs.check_limits(
        body.time_limit,
        body.workers,
        cap=settings.time_limit_cap,
        workers_cap=settings.workers_per_solve,
        cap_name="time_limit_cap",
    )
    _validate_order(session, body, baseline)
    with _REQUEST_LOCK:
        now = utcnow()
        check_quota(session, caller, settings.expedite_quota, now)
        job = jobs.create_job(
            session,
            scenario_row,
            time_limit=body.time_limit,
            workers=workers,
            seed=body.seed,
            method="cp",
            kind=JobKind.EXPEDITE,
            commit=False,
        )
        row = ExpediteRow(
            id=uuid.uuid4().hex,
            scenario_id=scenario_row.id,
            job_id=job.id,
            baseline_plan_id=baseline.id,
            order_id=body.order_id,
            requested_due=body.requested_due.isoformat(),
            reason=body.reason,
            status=ExpediteStatus.PREVIEWING.value,
            requested_by=caller.key_id,
            requested_role=caller.role.value,
            created_at=now,
        )
        session.add(row)
        session.flush()
        jobs.add_audit(
            session,
            row,
            "requested",
            actor=caller.key_id,
            role=caller.role.value,
            comment=body.reason,
            data={
                "order_id": body.order_id,
                "requested_due": row.requested_due,
                "baseline_version": baseline.version,
                "job_id": job.id,
            },
        )
        session.commit()
    runner.wake()
    notifier.notify()
    response.headers["Location"] = f"/v1/expedites/{row.id}"
    return expedite_view(session, row)


@router.get(
    "",
    response_model=ExpediteList,
    summary="List expedites with their audit trails, newest first",
    responses=responses(401, 403, 422),
)
def list_expedites(
    session: SessionDep,
    _role: Reader,
    status: ExpediteStatus | None = None,
    scenario_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> ExpediteList:
    """Expedites (previews without their plans), each with its whole audit trail."""
    query = select(ExpediteRow)
    counting = select(func.count()).select_from(ExpediteRow)
    if status is not None:
        query = query.where(ExpediteRow.status == status.value)
        counting = counting.where(ExpediteRow.status == status.value)
    if scenario_id is not None:
        query = query.where(ExpediteRow.scenario_id == scenario_id)
        counting = counting.where(ExpediteRow.scenario_id == scenario_id)
    rows = session.scalars(
        query.order_by(ExpediteRow.created_at.desc(), ExpediteRow.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    trails: dict[str, list[ExpediteAuditRow]] = defaultdict(list)
    if rows:
        for entry in session.scalars(
            select(ExpediteAuditRow)
            .where(ExpediteAuditRow.expedite_id.in_([r.id for r in rows]))
            .order_by(ExpediteAuditRow.id)
        ).all():
            trails[entry.expedite_id].append(entry)
    items = [expedite_view(session, r, audit=trails[r.id]) for r in rows]
    return ExpediteList(items=items, total=session.scalar(counting) or 0)


@router.get(
    "/{expedite_id}",
    response_model=ExpeditePublic,
    summary="Read an expedite: status, preview, decision, audit trail",
    responses=responses(401, 403, 404),
)
def read_expedite(
    expedite_id: str,
    session: SessionDep,
    _role: Reader,
    plan: Annotated[bool, Query(description="Include the preview's new plan.")] = True,
) -> ExpeditePublic:
    """An expedite with its preview once ready: can the date be met, the completion, the
    earliest possible completion, the orders that slip, every objective term before and
    after, and the new plan."""
    return expedite_view(session, get_expedite(session, expedite_id), with_plan=plan)


def _undecided(row: ExpediteRow, action: str) -> None:
    status = ExpediteStatus(row.status)
    if status in (ExpediteStatus.APPROVED, ExpediteStatus.REJECTED):
        raise Conflict(f"expedite {row.id} is already {status.value}; it cannot be {action}")
    if status == ExpediteStatus.FAILED:
        raise Conflict(f"expedite {row.id} has no preview ({row.error}); it cannot be {action}")


@router.post(
    "/{expedite_id}/approve",
    response_model=ExpeditePublic,
    summary="Approve an expedite: its preview's plan is published",
    responses=responses(401, 403, 404, 409, 422),
)
def approve_expedite(
    expedite_id: str,
    session: SessionDep,
    notifier: NotifierDep,
    caller: Planner,
    body: Decision | None = None,
) -> ExpeditePublic:
    """Publish the preview's plan as the scenario's next version and close the expedite.

    409 while the preview is computed, when it failed, when the expedite was
    already decided, or when another plan was published since the preview was
    made (request the expedite again against the new plan).
    """
    comment = body.comment if body is not None else ""
    with jobs.PUBLISH_LOCK:
        row = get_expedite(session, expedite_id)
        _undecided(row, "approved")
        if row.status != ExpediteStatus.READY.value:
            raise Conflict(f"the preview of expedite {row.id} is not ready yet")
        current = jobs.current_published(session, row.scenario_id)
        if current is None or current.id != row.baseline_plan_id:
            raise Conflict(
                f"the published plan of scenario {row.scenario_id!r} changed since this preview "
                f"was made (now version {current.version if current else '-'}): request the "
                "expedite again"
            )
        job = jobs.get_job(session, row.job_id)
        plan = session.get(PlanRow, job.id)
        if plan is None:
            raise Conflict(f"expedite {row.id} has no plan to publish")
        published = jobs.publish(
            session, job, plan, source=JobKind.EXPEDITE, key=caller.key_id, role=caller.role.value
        )
        row.status = ExpediteStatus.APPROVED.value
        row.published_plan_id = published.id
        row.decided_by = caller.key_id
        row.decision_comment = comment
        row.decided_at = utcnow()
        jobs.add_audit(
            session,
            row,
            "approved",
            actor=caller.key_id,
            role=caller.role.value,
            comment=comment,
            data={"published_plan_id": published.id, "version": published.version},
        )
        session.commit()
    notifier.notify()
    return expedite_view(session, row, with_plan=True)


@router.post(
    "/{expedite_id}/reject",
    response_model=ExpeditePublic,
    summary="Reject an expedite",
    responses=responses(401, 403, 404, 409, 422),
)
def reject_expedite(
    expedite_id: str,
    session: SessionDep,
    runner: RunnerDep,
    notifier: NotifierDep,
    caller: Planner,
    body: Decision | None = None,
) -> ExpeditePublic:
    """Close the expedite without publishing; a preview still running is stopped.

    409 when it was already decided or its preview failed.
    """
    comment = body.comment if body is not None else ""
    row = get_expedite(session, expedite_id)
    _undecided(row, "rejected")
    row.status = ExpediteStatus.REJECTED.value
    row.decided_by = caller.key_id
    row.decision_comment = comment
    row.decided_at = utcnow()
    jobs.add_audit(
        session, row, "rejected", actor=caller.key_id, role=caller.role.value, comment=comment
    )
    session.commit()
    job = jobs.get_job(session, row.job_id)
    if job.status == JobStatus.QUEUED.value and not jobs.cancel_queued(session, job.id):
        session.refresh(job)
    if job.status == JobStatus.SOLVING.value:
        runner.cancel(job.id)
    notifier.notify()
    return expedite_view(session, row, with_plan=True)


@router.post(
    "/{expedite_id}/comments",
    response_model=ExpeditePublic,
    status_code=201,
    summary="Comment on an expedite",
    responses=responses(401, 403, 404, 422),
)
def comment_expedite(
    expedite_id: str, body: Comment, session: SessionDep, caller: Requester
) -> ExpeditePublic:
    """Add a comment to the expedite's audit trail (planners and marketing)."""
    row = get_expedite(session, expedite_id)
    jobs.add_audit(
        session,
        row,
        "commented",
        actor=caller.key_id,
        role=caller.role.value,
        comment=body.comment,
    )
    session.commit()
    return expedite_view(session, row)
