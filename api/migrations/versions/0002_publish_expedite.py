"""Published plans, expedite requests and their audit log; the kind of a job.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.store import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``solve_jobs.kind`` and the three tables of publishing and expediting."""
    with op.batch_alter_table("solve_jobs") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="solve"),
        )
    op.create_table(
        "published_plans",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scenario_id", sa.String(64), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("solve_id", sa.String(32), sa.ForeignKey("solve_jobs.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("objective", sa.Float, nullable=True),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("published_role", sa.String(16), nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("scenario_id", "version", name="uq_published_plans_scenario_version"),
    )
    op.create_index("ix_published_plans_scenario_id", "published_plans", ["scenario_id"])
    op.create_index("ix_published_plans_solve_id", "published_plans", ["solve_id"])
    op.create_table(
        "expedites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scenario_id", sa.String(64), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column(
            "job_id", sa.String(32), sa.ForeignKey("solve_jobs.id"), nullable=False, unique=True
        ),
        sa.Column(
            "baseline_plan_id",
            sa.String(32),
            sa.ForeignKey("published_plans.id"),
            nullable=False,
        ),
        sa.Column("order_id", sa.String(200), nullable=False),
        sa.Column("requested_due", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_role", sa.String(16), nullable=False),
        sa.Column("preview", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column(
            "published_plan_id",
            sa.String(32),
            sa.ForeignKey("published_plans.id"),
            nullable=True,
        ),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decision_comment", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_expedites_scenario_id", "expedites", ["scenario_id"])
    op.create_index("ix_expedites_status", "expedites", ["status"])
    op.create_index("ix_expedites_requested_by", "expedites", ["requested_by"])
    op.create_index("ix_expedites_created_at", "expedites", ["created_at"])
    op.create_table(
        "expedite_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("expedite_id", sa.String(32), sa.ForeignKey("expedites.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_expedite_audit_expedite_id", "expedite_audit", ["expedite_id"])


def downgrade() -> None:
    """Drop the three tables and the job kind."""
    op.drop_table("expedite_audit")
    op.drop_table("expedites")
    op.drop_table("published_plans")
    with op.batch_alter_table("solve_jobs") as batch:
        batch.drop_column("kind")
