"""Satisfaction surveys after sign-off, and the follow-up cases poor answers open."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..domain.satisfaction import CaseState
from .base import created_at_field, market_fk, state_field, timestamp_field


class SatisfactionSurvey(SQLModel, table=True):
    """A member's answers about one signed-off order: one per order."""

    __tablename__ = "satisfaction_surveys"

    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    market_id: int = market_fk()
    member_id: int = Field(foreign_key="users.id", nullable=False)
    overall: int = Field(nullable=False)
    as_arranged: bool = Field(nullable=False)
    recommend: bool = Field(nullable=False)
    comment: str = Field(default="", sa_type=sa.Text, nullable=False)
    created_at: datetime = created_at_field()


class FollowUpCase(SQLModel, table=True):
    """An operator's task to contact a dissatisfied member (回访): open → contacted → resolved. Opened by a
    poor survey answer or a review of 1–2 stars, whichever comes first (one case an order)."""

    __tablename__ = "follow_up_cases"
    __table_args__ = (sa.Index("ix_follow_up_cases_market_state_opened", "market_id", "state", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    order_id: int = Field(foreign_key="orders.id", nullable=False, unique=True)
    state: str = state_field(CaseState.open)
    opened_at: datetime = created_at_field()
    contacted_at: datetime | None = timestamp_field()
    contacted_by: int | None = Field(default=None, foreign_key="users.id")
    contact_note: str = Field(default="", sa_type=sa.Text, nullable=False)
    resolved_at: datetime | None = timestamp_field()
    resolved_by: int | None = Field(default=None, foreign_key="users.id")
    resolution: str = Field(default="", sa_type=sa.Text, nullable=False)
    outcome: str = Field(default="", sa_type=sa.String(20), nullable=False)  # CaseOutcome, once resolved
    # escalated to the curators, overdue in this state (once per state)
    escalated_at: datetime | None = timestamp_field()
    escalated_in: str = Field(default="", sa_type=sa.String(20), nullable=False)
