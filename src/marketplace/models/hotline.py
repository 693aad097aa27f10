from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, market_fk, state_field, timestamp_field


class HotlineCall(SQLModel, table=True):
    """A call to the union's hotline (12351) taken by an operator: whom it was for (found by full phone
    number or union card number, with the reason recorded), what was done for them, how it ended."""

    __tablename__ = "hotline_calls"
    __table_args__ = (sa.Index("ix_hotline_calls_market_started", "market_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    operator_id: int = Field(foreign_key="users.id", nullable=False)
    member_id: int | None = Field(default=None, foreign_key="users.id", index=True)  # None: not a member
    reason: str = Field(sa_type=sa.String(300), nullable=False)  # why the member's record was opened
    topic: str = Field(default="", sa_type=sa.String(40), nullable=False)
    outcome: str = state_field("open")  # open | resolved | referred | follow_up
    note: str = Field(default="", sa_type=sa.Text, nullable=False)
    follow_up_on: date | None = Field(default=None, sa_type=sa.Date)
    started_at: datetime = created_at_field()
    ended_at: datetime | None = timestamp_field()
