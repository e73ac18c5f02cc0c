"""Liveness: is the service up, can it reach its store, how long is the queue."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api import jobs
from api.deps import RunnerDep, SessionDep, SettingsDep
from api.schemas import Health

router = APIRouter(prefix="/v1/health", tags=["health"])


@router.get("", response_model=Health, summary="Liveness and queue length (no key needed)")
def health(session: SessionDep, settings: SettingsDep, runner: RunnerDep) -> Health:
    """Answer when the service and its store are up; 503 when the store is not."""
    session.execute(text("SELECT 1"))
    counts = jobs.count_by_status(session)
    return Health(
        status="ok",
        database="ok",
        queued=counts.get("queued", 0),
        solving=runner.running(),
        max_concurrent_solves=settings.max_concurrent_solves,
    )
