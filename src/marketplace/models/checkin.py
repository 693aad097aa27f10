"""扫码签到 check-in codes and attendance; 团体预约 organisations, their bookings and the people on them."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, market_fk, timestamp_field


class CheckIn(SQLModel, table=True):
    """An order's check-in: its short code (unique within the session, made when first shown) and, once
    checked in, when, by whom, how and where."""

    __tablename__ = "check_ins"
    __table_args__ = (sa.UniqueConstraint("session_id", "code", name="uq_check_ins_session_code"),)

    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    market_id: int = market_fk()
    session_id: int = Field(foreign_key="listing_sessions.id", nullable=False, index=True)
    code: str = Field(sa_type=sa.String(8), nullable=False)
    checked_in_at: datetime | None = timestamp_field()
    checked_in_by: int | None = Field(default=None, foreign_key="users.id")
    method: str | None = Field(default=None, sa_type=sa.String(20))  # scan | typed | self
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    created_at: datetime = created_at_field()


class Organisation(SQLModel, table=True):
    """A grassroots (workplace) union of a market, with the member a curator linked as its contact."""

    __tablename__ = "organisations"
    __table_args__ = (sa.UniqueConstraint("market_id", "name", name="uq_organisations_market_name"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    name: str = Field(sa_type=sa.String(100), nullable=False)
    contact_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    # The largest share of a session's seats it may hold at once (percent).
    max_share_percent: int = Field(default=50, nullable=False)
    created_at: datetime = created_at_field()


class OrgBooking(SQLModel, table=True):
    """N seats of a session an organisation booked for its workers; swaps allowed until `swap_until`."""

    __tablename__ = "org_bookings"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    organisation_id: int = Field(foreign_key="organisations.id", nullable=False, index=True)
    session_id: int = Field(foreign_key="listing_sessions.id", nullable=False, index=True)
    booked_by: int = Field(foreign_key="users.id", nullable=False)
    swap_until: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    created_at: datetime = created_at_field()


class OrgSeat(SQLModel, table=True):
    """One person on a booking's roster and their own order; a swapped person's row keeps its history."""

    __tablename__ = "org_seats"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="org_bookings.id", nullable=False, index=True)
    order_id: int = Field(foreign_key="orders.id", nullable=False, unique=True)
    member_id: int = Field(foreign_key="users.id", nullable=False)
    name: str = Field(sa_type=sa.String(60), nullable=False)
    swapped_at: datetime | None = timestamp_field()
    replaced_by_id: int | None = Field(default=None, foreign_key="org_seats.id")
    created_at: datetime = created_at_field()
