"""Operations on the store shared by the routers and the solve dispatcher."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.errors import InvalidRequest, NotFound
from api.schemas import (
    ExpediteStatus,
    JobKind,
    JobStatus,
    ScenarioBase,
    ScenarioInput,
    ScenarioPublic,
    SolveBase,
    SolveCreate,
    SolveEvent,
    SolvePublic,
)
from api.store import (
    EventRow,
    ExpediteAuditRow,
    ExpediteRow,
    JobRow,
    PlanRow,
    PublishedPlanRow,
    ScenarioRow,
    utcnow,
)
from engine.io import (
    Problem,
    ScenarioError,
    dump_scenario,
    loads_scenario,
    scenario_from_data,
)
from engine.model import Plan, Scenario

log = logging.getLogger("orderplan.api")


def gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap between an objective and its bound, as the engine reports it."""
    if objective is None or bound is None:
        return None
    if objective <= 1e-9:
        return 0.0
    return max(0.0, (objective - bound) / abs(objective))


MAX_YAML_NODES = 2_000_000
"""Most values a YAML text may expand to once its aliases are followed."""


def _expanded_nodes(text: str) -> int:
    """Values of a YAML document with every alias followed (0 when it does not parse)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 0
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        sizes[id(node)] = total
        return total

    return 0 if root is None else size(root)


def parse_scenario(body: ScenarioInput) -> Scenario:
    """The validated scenario of a request body (``scenario`` or ``scenario_text``).

    Raises
    ------
    ScenarioError
        With every problem of the scenario, each with its path.
    """
    if body.scenario_text is not None:
        text = body.scenario_text
        # Nested aliases make a few lines of YAML expand to billions of values (and hours
        # of validation); only a text with aliases is worth counting.
        if "*" in text and _expanded_nodes(text) > MAX_YAML_NODES:
            raise ScenarioError(
                [Problem("", f"the YAML expands to more than {MAX_YAML_NODES} values")]
            )
        return loads_scenario(text)
    return scenario_from_data(body.scenario)


def store_scenario(
    session: Session,
    scenario: Scenario,
    *,
    origin: str = "upload",
    scenario_id: str | None = None,
) -> ScenarioRow:
    """Add a validated scenario to the store (replacing an example of the same id)."""
    content = dump_scenario(scenario)
    row = session.get(ScenarioRow, scenario_id) if scenario_id else None
    if row is None:
        row = ScenarioRow(id=scenario_id or uuid.uuid4().hex, origin=origin, created_at=utcnow())
        session.add(row)
    row.name = scenario.name
    row.orders = len(scenario.orders)
    row.content = content
    return row


def load_examples(session: Session, folder: Path) -> list[str]:
    """Store every ``*.yaml`` scenario of ``folder`` as example ``example-<stem>``."""
    stored = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            scenario = loads_scenario(path.read_text(encoding="utf-8"), str(path))
        except (OSError, ScenarioError) as exc:
            log.warning("example %s skipped: %s", path, exc)
            continue
        row = store_scenario(
            session, scenario, origin="example", scenario_id=f"example-{path.stem}"
        )
        stored.append(row.id)
    session.commit()
    return stored


def scenario_view(row: ScenarioRow, *, content: bool = False) -> ScenarioBase:
    """The public form of a stored scenario."""
    base = ScenarioBase.model_validate(row, from_attributes=True)
    if content:
        return ScenarioPublic(**base.model_dump(), content=row.content)
    return base


def get_scenario(session: Session, scenario_id: str) -> ScenarioRow:
    """A stored scenario, or :class:`NotFound`."""
    row = session.get(ScenarioRow, scenario_id)
    if row is None:
        raise NotFound(f"no scenario with id {scenario_id!r}")
    return row


def list_scenarios(session: Session) -> list[ScenarioRow]:
    """Every stored scenario, examples first, then newest first."""
    rows = session.scalars(select(ScenarioRow).order_by(ScenarioRow.created_at.desc())).all()
    return sorted(rows, key=lambda r: r.origin != "example")


def add_event(session: Session, job_id: str, kind: str, data: dict[str, Any]) -> None:
    """Record an event of a job (committed with the session)."""
    session.add(EventRow(job_id=job_id, kind=kind, data=data, created_at=utcnow()))


def create_job(
    session: Session,
    scenario: ScenarioRow,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    method: str,
    sync: bool = False,
    kind: JobKind = JobKind.SOLVE,
    commit: bool = True,
) -> JobRow:
    """Queue a job of a stored scenario and commit it (unless ``commit`` is false)."""
    job = JobRow(
        id=uuid.uuid4().hex,
        kind=kind.value,
        scenario_id=scenario.id,
        status=JobStatus.QUEUED.value,
        sync=sync,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        method=method,
        attempts=0,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    add_event(session, job.id, "queued", {"status": JobStatus.QUEUED.value})
    if commit:
        session.commit()
    return job


def get_job(session: Session, job_id: str) -> JobRow:
    """A job, or :class:`NotFound`."""
    job = session.get(JobRow, job_id)
    if job is None:
        raise NotFound(f"no solve with id {job_id!r}")
    return job


def queue_positions(session: Session) -> dict[str, int]:
    """Position in the queue of every queued job (1 starts next)."""
    ids = session.scalars(
        select(JobRow.id)
        .where(JobRow.status == JobStatus.QUEUED.value)
        .order_by(JobRow.created_at, JobRow.id)
    ).all()
    return {job_id: i for i, job_id in enumerate(ids, start=1)}


def count_by_status(session: Session) -> dict[str, int]:
    """Number of jobs per status."""
    rows = session.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all()
    return dict(rows)


def job_view(
    session: Session,
    job: JobRow,
    *,
    positions: dict[str, int] | None = None,
    with_plan: bool = False,
) -> SolveBase:
    """The public form of a job (with its best plan when ``with_plan``)."""
    if positions is None and job.status == JobStatus.QUEUED.value:
        positions = queue_positions(session)
    scenario = session.get(ScenarioRow, job.scenario_id)
    fields: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "scenario_id": job.scenario_id,
        "scenario_name": scenario.name if scenario else "",
        "status": job.status,
        "queue_position": (positions or {}).get(job.id),
        "time_limit": job.time_limit,
        "workers": job.workers,
        "seed": job.seed,
        "method": job.method,
        "attempts": job.attempts,
        "objective": job.objective,
        "bound": job.bound,
        "gap": gap(job.objective, job.bound),
        "plan_status": job.plan_status,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
    if not with_plan:
        return SolveBase(**fields)
    row = session.get(PlanRow, job.id)
    plan = Plan.model_validate(row.content) if row is not None else None
    return SolvePublic(**fields, plan=plan)


def list_jobs(
    session: Session, *, status: JobStatus | None, limit: int, offset: int
) -> tuple[list[SolveBase], int]:
    """A page of jobs, newest first, and the number of jobs in all."""
    query = select(JobRow)
    counting = select(func.count()).select_from(JobRow)
    if status is not None:
        query = query.where(JobRow.status == status.value)
        counting = counting.where(JobRow.status == status.value)
    rows = session.scalars(
        query.order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit).offset(offset)
    ).all()
    positions = queue_positions(session)
    total = session.scalar(counting) or 0
    return [job_view(session, row, positions=positions) for row in rows], total


def events_after(session: Session, job_id: str, after: int) -> list[SolveEvent]:
    """A job's events with ids above ``after``, oldest first."""
    rows = session.scalars(
        select(EventRow).where(EventRow.job_id == job_id, EventRow.id > after).order_by(EventRow.id)
    ).all()
    return [
        SolveEvent(id=r.id, job_id=r.job_id, kind=r.kind, at=r.created_at, data=r.data)
        for r in rows
    ]


def _end_data(job: JobRow) -> dict[str, Any]:
    return {
        "status": job.status,
        "objective": job.objective,
        "bound": job.bound,
        "gap": gap(job.objective, job.bound),
        "plan_status": job.plan_status,
        "error": job.error,
    }


def _finish(session: Session, job: JobRow, status: JobStatus, error: str | None = None) -> None:
    job.status = status.value
    job.finished_at = utcnow()
    if error is not None:
        job.error = error
    add_event(session, job.id, "end", _end_data(job))
    if job.kind == JobKind.EXPEDITE.value:
        _preview_ended(session, job)


def cancel_queued(session: Session, job_id: str) -> bool:
    """Cancel a job that has not started; False when it is no longer queued."""
    changed = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.CANCELLED.value, finished_at=utcnow())
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        return False
    job = get_job(session, job_id)
    session.refresh(job)
    add_event(session, job.id, "end", _end_data(job))
    if job.kind == JobKind.EXPEDITE.value:
        _preview_ended(session, job)
    session.commit()
    return True


def claim(session: Session, job_id: str) -> JobRow | None:
    """Mark a queued job as solving (None when another request cancelled it first)."""
    changed = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.SOLVING.value,
            started_at=utcnow(),
            attempts=JobRow.attempts + 1,
        )
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        return None
    job = get_job(session, job_id)
    session.refresh(job)
    add_event(session, job.id, "started", {"status": job.status, "attempt": job.attempts})
    session.commit()
    return job


def next_queued(session: Session, count: int) -> list[str]:
    """Ids of the ``count`` oldest queued jobs."""
    return list(
        session.scalars(
            select(JobRow.id)
            .where(JobRow.status == JobStatus.QUEUED.value)
            .order_by(JobRow.created_at, JobRow.id)
            .limit(count)
        ).all()
    )


def _keep_plan(
    session: Session, job: JobRow, plan: dict[str, Any], objective: float | None
) -> None:
    row = session.get(PlanRow, job.id)
    if row is None:
        row = PlanRow(job_id=job.id)
        session.add(row)
    row.status = str(plan.get("status"))
    row.objective = objective
    row.content = plan
    row.updated_at = utcnow()


def record_progress(
    session: Session, job_id: str, info: dict[str, Any], plan: dict[str, Any] | None
) -> None:
    """Record an improving plan: an event, and the job's best plan when it is better."""
    job = get_job(session, job_id)
    add_event(session, job_id, "progress", info)
    objective = float(info["objective"])
    if job.objective is None or objective < job.objective - 1e-12:
        job.objective = objective
        job.bound = info.get("bound")
        job.plan_status = "feasible"
        if plan is not None:
            _keep_plan(session, job, plan, objective)
    elif info.get("bound") is not None:
        job.bound = max(job.bound or float("-inf"), float(info["bound"]))


def record_done(
    session: Session,
    job_id: str,
    status: str,
    plan: dict[str, Any],
    preview: dict[str, Any] | None = None,
) -> None:
    """Record a finished job: its final plan (unless a better one is kept) and its end.

    An expedite job's ``preview`` (without its plan) goes to its expedite, and its
    plan is always the preview's: the progress of its searches is not comparable.
    """
    job = get_job(session, job_id)
    if preview is not None and status in ("optimal", "feasible"):
        expedite = expedite_of_job(session, job.id)
        if expedite is not None:
            expedite.preview = preview
        objective = float(plan["objective"]["total"])
        job.objective = objective
        job.bound = plan.get("bound")
        job.plan_status = status
        _keep_plan(session, job, plan, objective)
        _finish(session, job, JobStatus.COMPLETED)
    elif status in ("optimal", "feasible"):
        objective = float(plan["objective"]["total"])
        if job.objective is None or objective <= job.objective + 1e-9:
            job.objective = objective
            job.bound = plan.get("bound")
            job.plan_status = status
            _keep_plan(session, job, plan, objective)
        _finish(session, job, JobStatus.COMPLETED)
    elif status == "infeasible":
        job.plan_status = status
        _keep_plan(session, job, plan, None)
        _finish(session, job, JobStatus.INFEASIBLE, "; ".join(plan.get("reasons") or []) or None)
    elif job.objective is not None:
        # Out of time after a restart, with a plan kept from the run before it.
        _finish(session, job, JobStatus.COMPLETED)
    else:
        job.plan_status = status
        _keep_plan(session, job, plan, None)
        reasons = "; ".join(plan.get("reasons") or []) or "no plan found within the time limit"
        _finish(session, job, JobStatus.FAILED, reasons)


def record_failed(session: Session, job_id: str, error: str) -> None:
    """Record a solve that ended in an error."""
    _finish(session, get_job(session, job_id), JobStatus.FAILED, error)


def record_cancelled(session: Session, job_id: str) -> None:
    """Record a solve stopped by a user; its best plan stays."""
    _finish(session, get_job(session, job_id), JobStatus.CANCELLED)


def requeue(session: Session, job_id: str, reason: str, max_attempts: int) -> None:
    """Put an interrupted job back in the queue, or fail it when that makes no sense.

    A synchronous job is failed: its client is gone. A job already started
    ``max_attempts`` times is failed too, so a scenario that brings the server
    down cannot do so for ever.
    """
    job = get_job(session, job_id)
    if job.sync:
        _finish(session, job, JobStatus.FAILED, f"{reason}; a synchronous solve is not resumed")
    elif job.attempts >= max_attempts:
        _finish(session, job, JobStatus.FAILED, f"{reason}; started {job.attempts} times, given up")
    else:
        job.status = JobStatus.QUEUED.value
        add_event(session, job.id, "requeued", {"status": job.status, "reason": reason})


def recover(session: Session, max_attempts: int) -> list[str]:
    """Re-queue the jobs a stopped server left solving; their ids."""
    ids = list(
        session.scalars(select(JobRow.id).where(JobRow.status == JobStatus.SOLVING.value)).all()
    )
    for job_id in ids:
        requeue(
            session,
            job_id,
            "the server stopped while this job was solving; queued again",
            max_attempts,
        )
    session.commit()
    return ids


def scenario_content(session: Session, job: JobRow) -> dict[str, Any]:
    """The scenario data of a job."""
    return get_scenario(session, job.scenario_id).content


def check_limits(
    time_limit: float, workers: int | None, *, cap: float, workers_cap: int, cap_name: str
) -> int:
    """Refuse a time limit or worker count above the caps; the workers to use.

    Raises
    ------
    InvalidRequest
        Naming the field and its cap.
    """
    if time_limit > cap:
        raise InvalidRequest(
            f"time_limit {time_limit:g} s is above the cap of {cap:g} s ({cap_name})",
            [("time_limit", f"must be at most {cap:g} seconds")],
        )
    if workers is not None and workers > workers_cap:
        raise InvalidRequest(
            f"workers {workers} is above the cap of {workers_cap} (workers_per_solve)",
            [("workers", f"must be at most {workers_cap}")],
        )
    return workers or workers_cap


def submit(
    session: Session,
    body: SolveCreate,
    *,
    time_limit_cap: float,
    cap_name: str,
    workers_cap: int,
    sync: bool = False,
) -> JobRow:
    """Store the scenario of a solve request (unless it names a stored one) and queue it.

    Parameters
    ----------
    session
        A store session; committed when the job is queued.
    body
        The request.
    time_limit_cap, cap_name, workers_cap
        The limits that apply, and the setting that sets the time limit cap.
    sync
        Whether a client waits for the answer (``POST /v1/solve``).

    Raises
    ------
    InvalidRequest
        A time limit or worker count above its cap.
    ScenarioError
        An invalid scenario, with every problem.
    NotFound
        An unknown ``scenario_id``.
    """
    workers = check_limits(
        body.time_limit,
        body.workers,
        cap=time_limit_cap,
        workers_cap=workers_cap,
        cap_name=cap_name,
    )
    if body.scenario_id is not None:
        scenario_row = get_scenario(session, body.scenario_id)
    else:
        scenario_row = store_scenario(session, parse_scenario(body))
        session.flush()
    return create_job(
        session,
        scenario_row,
        time_limit=body.time_limit,
        workers=workers,
        seed=body.seed,
        method=body.method,
        sync=sync,
    )


# -- published plans ---------------------------------------------------------------------

PUBLISH_LOCK = threading.Lock()
"""Held while a version number is chosen and written (one service per store)."""


def current_published(session: Session, scenario_id: str) -> PublishedPlanRow | None:
    """The scenario's current published plan (its highest version), if any."""
    return session.scalars(
        select(PublishedPlanRow)
        .where(PublishedPlanRow.scenario_id == scenario_id)
        .order_by(PublishedPlanRow.version.desc())
        .limit(1)
    ).first()


def publish(
    session: Session,
    job: JobRow,
    plan: PlanRow,
    *,
    source: JobKind,
    key: str,
    role: str,
) -> PublishedPlanRow:
    """Publish a job's plan as the next version of its scenario's plan (not committed).

    Call with :data:`PUBLISH_LOCK` held, and commit before releasing it.
    """
    latest = current_published(session, job.scenario_id)
    row = PublishedPlanRow(
        id=uuid.uuid4().hex,
        scenario_id=job.scenario_id,
        version=1 if latest is None else latest.version + 1,
        source=source.value,
        solve_id=job.id,
        status=plan.status,
        objective=plan.objective,
        content=plan.content,
        published_by=key,
        published_role=role,
        published_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def get_published(session: Session, plan_id: str) -> PublishedPlanRow:
    """A published plan, or :class:`NotFound`."""
    row = session.get(PublishedPlanRow, plan_id)
    if row is None:
        raise NotFound(f"no published plan with id {plan_id!r}")
    return row


# -- expedites ---------------------------------------------------------------------------


def short_key(key: str | None) -> str | None:
    """The key id as shown to clients: enough of the hash to tell keys apart."""
    return None if key is None else f"key-{key[:12]}"


def add_audit(
    session: Session,
    expedite: ExpediteRow,
    kind: str,
    *,
    actor: str | None = None,
    role: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add an entry to an expedite's audit trail (committed with the session)."""
    session.add(
        ExpediteAuditRow(
            expedite_id=expedite.id,
            kind=kind,
            actor=actor,
            role=role,
            comment=comment,
            data=data or {},
            created_at=utcnow(),
        )
    )


def expedite_of_job(session: Session, job_id: str) -> ExpediteRow | None:
    """The expedite whose preview a job computes."""
    return session.scalars(select(ExpediteRow).where(ExpediteRow.job_id == job_id)).first()


def expedite_task(session: Session, job: JobRow) -> dict[str, Any]:
    """What the solver process needs besides the scenario: the task of a job."""
    if job.kind != JobKind.EXPEDITE.value:
        return {"kind": JobKind.SOLVE.value}
    expedite = expedite_of_job(session, job.id)
    if expedite is None:
        raise NotFound(f"no expedite for job {job.id}")
    baseline = get_published(session, expedite.baseline_plan_id)
    return {
        "kind": JobKind.EXPEDITE.value,
        "baseline": baseline.content,
        "order": expedite.order_id,
        "due": expedite.requested_due,
    }


def preview_summary(preview: dict[str, Any]) -> dict[str, Any]:
    """The audit data of a preview: the answer and its price, without the details."""
    before = preview.get("objective_before", {}).get("total", 0.0)
    after = preview.get("objective_after", {}).get("total", 0.0)
    return {
        "can_meet": preview.get("can_meet"),
        "completion": preview.get("completion"),
        "earliest_completion": preview.get("earliest_completion"),
        "slipping": [o["id"] for o in preview.get("orders", []) if o.get("slips")],
        "objective_before": before,
        "objective_after": after,
        "cost": after - before,
    }


def _preview_ended(session: Session, job: JobRow) -> None:
    """Move an expedite whose preview job ended to ``ready`` or ``failed``."""
    expedite = expedite_of_job(session, job.id)
    if expedite is None or expedite.status != ExpediteStatus.PREVIEWING.value:
        return  # rejected while its preview ran: nothing left to decide
    if job.status == JobStatus.COMPLETED.value and expedite.preview is not None:
        expedite.status = ExpediteStatus.READY.value
        add_audit(session, expedite, "preview_ready", data=preview_summary(expedite.preview))
        return
    expedite.status = ExpediteStatus.FAILED.value
    expedite.error = job.error or f"the preview ended {job.status} without an answer"
    add_audit(session, expedite, "preview_failed", data={"error": expedite.error})
