"""The desk's figures kept per market and local day (services/rollups.py folds order events into them), so the
dashboard reads a few hundred sums instead of every order of the market's history."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field


class FigureDay(SQLModel, table=True):
    """One figure of one market's local day: orders placed that day by state, stages they reached, durations
    in buckets, visits delivered that day, reviews written that day by stars…; `key` tells the state,
    stage, bucket, category or stars ('' when the figure has none)."""

    __tablename__ = "figure_days"

    market_id: int = Field(foreign_key="markets.id", primary_key=True)
    day: date = Field(primary_key=True)
    figure: str = Field(sa_type=sa.String(20), primary_key=True)
    key: str = Field(sa_type=sa.String(20), primary_key=True)
    n: int = Field(sa_type=sa.BigInteger, nullable=False)


class FigureMonth(SQLModel, table=True):
    """The sums of `figure_days` over a local month (its first day), so a year or all time reads months."""

    __tablename__ = "figure_months"

    market_id: int = Field(foreign_key="markets.id", primary_key=True)
    month: date = Field(primary_key=True)
    figure: str = Field(sa_type=sa.String(20), primary_key=True)
    key: str = Field(sa_type=sa.String(20), primary_key=True)
    n: int = Field(sa_type=sa.BigInteger, nullable=False)


class ServedMember(SQLModel, table=True):
    """The last local day a member was served in a market (a distinct count is not a sum of days)."""

    __tablename__ = "figure_served_members"
    __table_args__ = (sa.Index("ix_figure_served_members_market_day", "market_id", "last_day"),)

    market_id: int = Field(foreign_key="markets.id", primary_key=True)
    member_id: int = Field(foreign_key="users.id", primary_key=True, index=True)
    last_day: date = Field(nullable=False)


class ProviderDeliveries(SQLModel, table=True):
    """How many orders of a market a provider delivered, and when last (active in the last 90 days, top ten)."""

    __tablename__ = "figure_provider_deliveries"
    __table_args__ = (sa.Index("ix_figure_provider_deliveries_market_last", "market_id", "last_delivered_at"),)

    market_id: int = Field(foreign_key="markets.id", primary_key=True)
    provider_id: int = Field(foreign_key="users.id", primary_key=True, index=True)
    delivered: int = Field(nullable=False)
    last_delivered_at: datetime = timestamp_field(nullable=False)


class FigureFold(SQLModel, table=True):
    """The one row saying how far order events are folded into the figures (services/rollups.py): every
    event up to `folded_upto`; `pending_upto` is the next range's end, folded once every transaction that
    was running when it was read (xid below `pending_xmax`) has ended."""

    __tablename__ = "figure_folds"

    id: int = Field(default=1, primary_key=True)
    folded_upto: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    pending_upto: int | None = Field(default=None, sa_type=sa.BigInteger)
    pending_xmax: int | None = Field(default=None, sa_type=sa.BigInteger)
    folded_at: datetime | None = timestamp_field()
