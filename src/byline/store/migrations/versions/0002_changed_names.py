"""The names an ingest changed and no split has caught up with (``byline split --changed``).

A new table only: existing stores get it empty (their predictions came from a whole
``split --all``, so nothing is pending).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changed_names",
        sa.Column("slug", sa.String(255), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("changed_names")
