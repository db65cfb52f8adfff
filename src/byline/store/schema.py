"""Tables of the store (SQLAlchemy 2 Core)."""

from __future__ import annotations

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

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

source_files = Table(
    "source_files",
    metadata,
    Column("path", String(255), primary_key=True),
    Column("digest", String(40), nullable=False),
)

papers = Table(
    "papers",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("source", String(255), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("year", Integer),
    Column("venues", String(255), nullable=False, default=""),  # '|'-joined
    Column("booktitle", Text, nullable=False, default=""),
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

persons = Table(
    "persons",
    metadata,
    Column("person_id", String(255), primary_key=True),
    Column("names", JSON, nullable=False),  # [[first, last], ...], canonical first
    Column("orcid", String(32)),
    Column("comment", Text),
    Column("degree", Text),
    Column("similar", JSON, nullable=False, default=list),
    Column("disable_name_matching", Boolean, nullable=False, default=False),
    Column("explicit", Boolean, nullable=False, default=True),
)

# Text embeddings of papers, keyed by model and a hash of the embedded text, so that a
# changed title or abstract is re-embedded and nothing stale is ever used.
embeddings = Table(
    "embeddings",
    metadata,
    Column("model", String(128), primary_key=True),
    Column("text_hash", String(40), primary_key=True),
    Column("vector", LargeBinary, nullable=False),
)

predictions = Table(
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
