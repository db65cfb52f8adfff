"""Baseline: the schema exactly as byline 0.1.0 creates it.

A store that byline 0.1.0 wrote has these tables and no version: upgrading it through this
revision creates nothing and records the version (missing tables, if any, are created).
The tables are a frozen copy of ``byline/store/schema.py`` at 0.1.0, never to be edited:
later changes are later revisions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

metadata = MetaData()

Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
Table(
    "source_files",
    metadata,
    Column("path", String(255), primary_key=True),
    Column("digest", String(40), nullable=False),
)
Table(
    "papers",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("source", String(255), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("year", Integer),
    Column("venues", String(255), nullable=False),
    Column("booktitle", Text, nullable=False),
    Column("language", String(16)),
)
mentions = Table(
    "mentions",
    metadata,
    Column("mention_id", String(80), primary_key=True),
    Column(
        "paper_id",
        String(64),
        ForeignKey("papers.paper_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    Column("first", String(255), nullable=False),
    Column("last", String(255), nullable=False),
    Column("slug", String(255), nullable=False, index=True),
    Column("person_id", String(255)),
    Column("orcid", String(32)),
    Column("openreview", String(255)),
    Column("affiliation", Text),
    Column("variant", String(255)),
)
Table(
    "persons",
    metadata,
    Column("person_id", String(255), primary_key=True),
    Column("names", JSON, nullable=False),
    Column("orcid", String(32)),
    Column("comment", Text),
    Column("degree", Text),
    Column("similar", JSON, nullable=False),
    Column("disable_name_matching", Boolean, nullable=False),
    Column("explicit", Boolean, nullable=False),
)
Table(
    "embeddings",
    metadata,
    Column("model", String(128), primary_key=True),
    Column("text_hash", String(40), primary_key=True),
    Column("vector", LargeBinary, nullable=False),
)
Table(
    "predictions",
    metadata,
    Column("mention_id", String(80), primary_key=True),
    Column("slug", String(255), nullable=False, index=True),
    Column("person", String(255), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("model_version", String(64), nullable=False),
)
Index("ix_mentions_orcid", mentions.c.orcid)
Index("ix_mentions_person", mentions.c.person_id)
Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(255), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("mention_ids", JSON, nullable=False),
    Column("person", String(255)),
    Column("display_first", String(255)),
    Column("display_last", String(255)),
    Column("actor", String(255), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("target", Integer),
    Column("version", Integer, nullable=False),
)
Table(
    "name_versions",
    metadata,
    Column("slug", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
)
Table(
    "artifacts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("blob", LargeBinary, nullable=False),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not downgraded: it is where the store starts")
