from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import ARCHIVED, HOT, created_at_field, json_field, market_fk, newest, state_field, timestamp_field


class Notification(SQLModel, table=True):
    """An in-app notice; `dedupe_key` makes a job that runs twice notify once."""

    __tablename__ = "notifications"
    # A person's notices: the hot ones (the notices page, the unread badge) and, apart, the archived read ones.
    __table_args__ = (
        sa.Index("ix_notifications_user_hot", "user_id", *newest(), postgresql_where=sa.text(HOT)),
        sa.Index("ix_notifications_user_archived", "user_id", *newest(), postgresql_where=sa.text(ARCHIVED)),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    user_id: int = Field(foreign_key="users.id", nullable=False)
    kind: str = Field(sa_type=sa.String(40), nullable=False)
    title: str = Field(sa_type=sa.String(200), nullable=False)
    body: str = Field(default="", sa_type=sa.Text, nullable=False)
    data: dict = json_field()
    dedupe_key: str | None = Field(default=None, sa_type=sa.String(200), unique=True)
    read_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    archived_at: datetime | None = timestamp_field()  # read and old: left the hot index (services/archive.py)


class OutboxJob(SQLModel, table=True):
    """A background job recorded in the transaction that caused it, sent to Redis after commit.

    A relay re-sends what was not sent, so a Redis outage or a crash between the
    commit and the send loses nothing; `dedupe_key` keeps one row per logical job.
    """

    __tablename__ = "outbox_jobs"
    __table_args__ = (
        sa.Index("ix_outbox_jobs_state_due", "state", "due_at"),
        # queue.cancel_jobs: `dedupe_key LIKE 'order:N:%'`, which the unique index cannot serve
        # under a collation other than "C".
        sa.Index("ix_outbox_jobs_dedupe_key_prefix", "dedupe_key", postgresql_ops={"dedupe_key": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(sa_type=sa.String(60), nullable=False)
    args: dict = json_field()
    due_at: datetime = created_at_field()
    dedupe_key: str | None = Field(default=None, sa_type=sa.String(200), unique=True)
    state: str = state_field("pending")  # pending | sent | done | failed | cancelled
    attempts: int = Field(default=0, nullable=False)  # runs so far; a failed run is retried with back-off
    # How often it was handed to Redis; part of the arq job id, so a re-send is never refused as a duplicate.
    sends: int = Field(default=0, nullable=False)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    sent_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class AuditEvent(SQLModel, table=True):
    """What curators and operators did to accounts, the catalogue and reviews."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(sa_type=sa.String(60), nullable=False)
    target_type: str = Field(sa_type=sa.String(40), nullable=False)
    target_id: int | None = Field(default=None)
    data: dict = json_field()
    at: datetime = created_at_field()
