"""Solves: queue, list, read, cancel, follow (server-sent events), export; and solve at once."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api import jobs
from api.deps import NotifierDep, Reader, RunnerDep, SessionDep, SettingsDep, Solver
from api.errors import Conflict, NotFound, Unavailable, responses
from api.runner import Notifier
from api.schemas import JobStatus, SolveBase, SolveCreate, SolveEvent, SolveList, SolvePublic
from api.store import Database
from engine.model import Plan

router = APIRouter(prefix="/v1", tags=["solves"])

KEEP_ALIVE = 15.0
"""Seconds of silence after which an event stream sends a comment, so proxies keep it open."""
CANCEL_WAIT = 5.0
"""Seconds ``DELETE`` waits for the solver process to be gone before it answers."""


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _view(db: Database, job_id: str, with_plan: bool = True) -> SolveBase:
    with db.session() as session:
        return jobs.job_view(session, jobs.get_job(session, job_id), with_plan=with_plan)


async def _until_ended(
    db: Database, notifier: Notifier, job_id: str, timeout: float | None
) -> SolveBase:
    """The job's view once it has ended (or when ``timeout`` seconds have passed)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        token = notifier.token()
        view = await run_in_threadpool(_view, db, job_id)
        if view.status.terminal:
            return view
        if notifier.closed:
            raise Unavailable("the service is stopping; the solve is queued again")
        left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
        if left <= 0:
            return view
        await notifier.wait(token, left)


@router.post(
    "/solves",
    status_code=202,
    response_model=SolvePublic,
    summary="Queue a solve",
    responses=responses(401, 403, 404, 413, 422),
)
def create_solve(
    body: SolveCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
    notifier: NotifierDep,
    _role: Solver,
) -> SolveBase:
    """Store the scenario, queue a solve of it and answer at once with its id (202).

    The scenario and the job are in the store before the answer, so nothing
    accepted is lost, even if the server stops. Follow the job with
    ``GET /v1/solves/{id}`` or its event stream; ``queue_position`` says how many
    jobs start before it.
    """
    job = jobs.submit(
        session,
        body,
        time_limit_cap=settings.time_limit_cap,
        cap_name="time_limit_cap",
        workers_cap=settings.workers_per_solve,
    )
    runner.wake()
    notifier.notify()
    response.headers["Location"] = f"/v1/solves/{job.id}"
    return jobs.job_view(session, job, with_plan=True)


@router.post(
    "/solve",
    response_model=SolvePublic,
    summary="Solve at once and answer with the plan",
    responses=responses(401, 403, 404, 413, 422),
)
async def solve_now(
    body: SolveCreate,
    request: Request,
    settings: SettingsDep,
    runner: RunnerDep,
    notifier: NotifierDep,
    _role: Solver,
) -> SolveBase:
    """Solve a (small) scenario and answer with the result when the solve ends.

    The time limit is capped by ``sync_time_limit_cap``. The solve runs in the
    solver processes like every other, after the jobs queued before it; it is
    stored too, so it can be read back with ``GET /v1/solves/{id}``.
    """
    db = _db(request)

    def submit() -> str:
        with db.session() as session:
            job = jobs.submit(
                session,
                body,
                time_limit_cap=settings.sync_time_limit_cap,
                cap_name="sync_time_limit_cap",
                workers_cap=settings.workers_per_solve,
                sync=True,
            )
            return job.id

    job_id = await run_in_threadpool(submit)
    runner.wake()
    notifier.notify()
    return await _until_ended(db, notifier, job_id, timeout=None)


@router.get(
    "/solves",
    response_model=SolveList,
    summary="List solves, newest first",
    responses=responses(401, 403, 422),
)
def list_solves(
    session: SessionDep,
    _role: Reader,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> SolveList:
    """Solves without their plans; queued ones with their position in the queue."""
    items, total = jobs.list_jobs(session, status=status, limit=limit, offset=offset)
    return SolveList(items=items, total=total)


@router.get(
    "/solves/{solve_id}",
    response_model=SolvePublic,
    summary="Read a solve: status, best plan so far, objective, bound, gap",
    responses=responses(401, 403, 404),
)
def get_solve(
    solve_id: str,
    session: SessionDep,
    _role: Reader,
    plan: Annotated[bool, Query(description="Include the best plan so far.")] = True,
) -> SolveBase:
    """A solve's state and its best plan so far (the final plan once it has ended)."""
    return jobs.job_view(session, jobs.get_job(session, solve_id), with_plan=plan)


@router.delete(
    "/solves/{solve_id}",
    response_model=SolvePublic,
    summary="Cancel a solve, keeping its best plan",
    responses=responses(401, 403, 404, 409),
)
async def cancel_solve(
    solve_id: str,
    request: Request,
    runner: RunnerDep,
    notifier: NotifierDep,
    _role: Solver,
) -> SolveBase:
    """Cancel a queued solve, or stop a running one at once by ending its process.

    The best plan found before the stop stays with the job. Answers when the
    job is ``cancelled`` (within a second or two); 409 if it had already ended.
    """
    db = _db(request)

    def start() -> JobStatus:
        with db.session() as session:
            job = jobs.get_job(session, solve_id)
            status = JobStatus(job.status)
            if status.terminal:
                raise Conflict(f"solve {solve_id} has already ended ({status.value})")
            if status == JobStatus.QUEUED and jobs.cancel_queued(session, solve_id):
                return JobStatus.CANCELLED
            return JobStatus.SOLVING

    if await run_in_threadpool(start) == JobStatus.SOLVING:
        runner.cancel(solve_id)
    notifier.notify()
    return await _until_ended(db, notifier, solve_id, timeout=CANCEL_WAIT)


def _sse(event: SolveEvent) -> str:
    return f"id: {event.id}\nevent: {event.kind}\ndata: {event.model_dump_json()}\n\n"


async def _events(
    db: Database, notifier: Notifier, solve_id: str, after: int
) -> AsyncIterator[str]:
    def read(last: int) -> tuple[list[SolveEvent], bool]:
        with db.session() as session:
            job = jobs.get_job(session, solve_id)
            return jobs.events_after(session, solve_id, last), JobStatus(job.status).terminal

    last, quiet_since = after, time.monotonic()
    while True:
        token = notifier.token()
        events, ended = await run_in_threadpool(read, last)
        for event in events:
            last = event.id
            yield _sse(event)
            if event.kind == "end":
                return
        if events:
            quiet_since = time.monotonic()
        elif ended or notifier.closed:
            return
        if time.monotonic() - quiet_since >= KEEP_ALIVE:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        await notifier.wait(token, 1.0)


@router.get(
    "/solves/{solve_id}/events",
    response_class=StreamingResponse,
    summary="Follow a solve: server-sent events",
    responses={
        200: {
            "description": "An event stream: the stored events first, then new ones as they "
            "happen, up to the `end` event.",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "example": 'id: 7\nevent: progress\ndata: {"id": 7, "job_id": "3f2a", '
                    '"kind": "progress", "at": "2026-11-27T10:00:01Z", "data": {"elapsed": '
                    '0.41, "objective": 40.43, "bound": 39.1, "gap": 0.033, "source": "cp"}}\n\n',
                }
            },
        },
        **responses(401, 403, 404, 422),
    },
)
def solve_events(
    solve_id: str,
    request: Request,
    session: SessionDep,
    notifier: NotifierDep,
    _role: Reader,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, description="Resume after this event id."),
    ] = None,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="Send only events with a higher id.")
    ] = 0,
) -> StreamingResponse:
    """Server-sent events of a solve: every stored event, then each new one, then the end.

    Event names: ``queued``, ``started``, ``progress`` (one per improving plan:
    elapsed seconds, objective, bound, gap, source), ``requeued`` (after a
    server stop) and ``end`` (once, with the final status, objective, bound and
    gap); the stream closes after ``end``. Each event's ``id`` can be sent back
    as ``Last-Event-ID`` to resume.
    """
    jobs.get_job(session, solve_id)
    start = max(after, last_event_id or 0)
    return StreamingResponse(
        _events(_db(request), notifier, solve_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


CSV_COLUMNS = [
    "order",
    "line",
    "operation",
    "machine",
    "staff",
    "start",
    "end",
    "minutes",
    "customer",
    "tier",
    "priority",
    "due",
    "completion",
    "tardiness_minutes",
]


def plan_csv(plan: Plan) -> str:
    """One row per assignment, with its order's customer, tier, priority and due instant."""
    orders = {o.id: o for o in plan.orders}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in sorted(plan.assignments, key=lambda a: (a.start, a.machine, a.order)):
        o = orders.get(a.order)
        writer.writerow(
            [
                a.order,
                a.line,
                a.operation,
                a.machine,
                ";".join(a.staff),
                a.start.isoformat(),
                a.end.isoformat(),
                int((a.end - a.start).total_seconds() // 60),
                o.customer if o and o.customer else "",
                o.tier if o and o.tier else "",
                "" if o is None or o.priority is None else o.priority,
                o.due.isoformat() if o and o.due else "",
                o.completion.isoformat() if o and o.completion else "",
                "" if o is None or o.tardiness_minutes is None else o.tardiness_minutes,
            ]
        )
    return out.getvalue()


@router.get(
    "/solves/{solve_id}/plan.csv",
    response_class=Response,
    summary="The best plan as CSV, one row per assignment",
    responses={
        200: {
            "description": "CSV with a header row.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **responses(401, 403, 404),
    },
)
def solve_plan_csv(solve_id: str, session: SessionDep, _role: Reader) -> Response:
    """The job's best plan so far as CSV for spreadsheets (404 while it has none)."""
    view = jobs.job_view(session, jobs.get_job(session, solve_id), with_plan=True)
    plan = view.plan if isinstance(view, SolvePublic) else None
    if plan is None:
        raise NotFound(f"solve {solve_id} has no plan yet")
    return Response(
        plan_csv(plan),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="plan-{solve_id}.csv"'},
    )
