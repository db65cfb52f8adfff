"""Author-page requests queued for the review page (``byline intake --queue``).

A new table only: existing stores get it empty.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("slugs", sa.JSON, nullable=False),
        sa.Column("proposal", sa.JSON, nullable=False),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("closed_at", sa.String(32)),
        sa.Column("closed_by", sa.String(255)),
        sa.Column("decision_ids", sa.JSON),
    )
    op.create_index("ix_intake_requests_request", "intake_requests", ["request"])
    op.create_index("ix_intake_requests_status", "intake_requests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_intake_requests_status", "intake_requests")
    op.drop_index("ix_intake_requests_request", "intake_requests")
    op.drop_table("intake_requests")
