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

# Maintainer decisions (append-only log; an undo is a decision too) and a version per name
# for optimistic locking. See byline.store.decisions.
decisions = Table(
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
    Column("model_version", String(64), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("target", Integer),
    Column("version", Integer, nullable=False),
)

name_versions = Table(
    "name_versions",
    metadata,
    Column("slug", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
)

# Derived data that is slow to compute and depends only on the ingested library (e.g. the
# library statistics): recomputed whenever the library's digest or the code's version moves.
artifacts = Table(
    "artifacts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("blob", LargeBinary, nullable=False),
)

# Names whose mentions an ingest changed (a paper added, removed or edited, or a registry
# entry one of their mentions points to) and that no split has caught up with since:
# `byline split --changed` re-splits exactly these. ``seq`` is the ingest that recorded the
# name (meta ``changes_seq``), so a split clears only what it read. See byline.store.changed.
changed_names = Table(
    "changed_names",
    metadata,
    Column("slug", String(255), primary_key=True),
    Column("seq", Integer, nullable=False),
)

# Author-page requests queued for the review page (`byline intake --queue`): byline's proposal
# for each, shown on the page of every name it touches until a maintainer accepts it (its
# decisions are recorded in the same transaction that marks it accepted) or closes it. See
# byline.store.intake_queue.
intake_requests = Table(
    "intake_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request", String(255), nullable=False, index=True),  # file name or "issue #N"
    Column("kind", String(16), nullable=False),
    Column("slugs", JSON, nullable=False),  # the names it is shown on
    Column("proposal", JSON, nullable=False),  # what the page shows (see intake_queue)
    Column("intents", JSON, nullable=False),  # the assign intents that carry it out
    Column("versions", JSON, nullable=False),  # name -> its version when proposed
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("closed_at", String(32)),
    Column("closed_by", String(255)),
    Column("decision_ids", JSON),
)
