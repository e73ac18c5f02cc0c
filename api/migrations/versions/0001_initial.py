"""Scenarios, solve jobs, best plans and solve events.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.store import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "solve_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scenario_id", sa.String(64), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sync", sa.Boolean, nullable=False),
        sa.Column("time_limit", sa.Float, nullable=False),
        sa.Column("workers", sa.Integer, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("objective", sa.Float, nullable=True),
        sa.Column("bound", sa.Float, nullable=True),
        sa.Column("plan_status", sa.String(16), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_solve_jobs_scenario_id", "solve_jobs", ["scenario_id"])
    op.create_index("ix_solve_jobs_status", "solve_jobs", ["status"])
    op.create_index("ix_solve_jobs_created_at", "solve_jobs", ["created_at"])
    op.create_table(
        "plans",
        sa.Column("job_id", sa.String(32), sa.ForeignKey("solve_jobs.id"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("objective", sa.Float, nullable=True),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "solve_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("solve_jobs.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_solve_events_job_id", "solve_events", ["job_id"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("solve_events")
    op.drop_table("plans")
    op.drop_table("solve_jobs")
    op.drop_table("scenarios")
