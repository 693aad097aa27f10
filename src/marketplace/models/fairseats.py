"""Fair access to scarce seats (issue #15): quotas (限额) and a session's verifiable draw (抽签)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, json_field, market_fk, timestamp_field


class Quota(SQLModel, table=True):
    """How many live orders, and how many orders per period, a member may hold in a category (and below
    it), or in the whole market when no category is named."""

    __tablename__ = "quotas"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    category_id: int | None = Field(default=None, foreign_key="categories.id", index=True)
    max_live: int | None = Field(default=None)
    max_per_period: int | None = Field(default=None)
    period_days: int | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()


class LotteryDraw(SQLModel, table=True):
    """A session filled by a draw: its registration window, its draw time, the commitment published at
    opening, the entries and their digest published at closing, and the seed and result of the draw.
    `drawn_at` set is the guard that makes the draw happen once."""

    __tablename__ = "lottery_draws"

    session_id: int = Field(foreign_key="listing_sessions.id", primary_key=True)
    market_id: int = market_fk()
    opens_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    closes_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    draw_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False, index=True)
    # Winners confirm within this many hours, or the seat goes on (None: the seat is theirs at once).
    confirm_hours: int | None = Field(default=None)
    # The seed, sealed with a key derived from the instance secret (never shown before the draw).
    seed_sealed: str = Field(sa_type=sa.String(64), nullable=False)
    commitment: str = Field(sa_type=sa.String(64), nullable=False)
    entries: list[int] | None = json_field(default_factory=lambda: None, nullable=True)
    entries_digest: str | None = Field(default=None, sa_type=sa.String(64))
    closed_at: datetime | None = timestamp_field()
    seed: str | None = Field(default=None, sa_type=sa.String(64))  # revealed at the draw
    drawn_at: datetime | None = timestamp_field()
    seats: int | None = Field(default=None)  # free seats at the draw
    reserve_seats: int | None = Field(default=None)  # of which kept for the priority groups
    # [{"entry": id, "priority": bool, "groups": [...], "outcome": "won" | "waiting" | "withdrawn", "reserve": bool}]
    results: list[dict] | None = json_field(default_factory=lambda: None, nullable=True)
    figures: dict = json_field()
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
