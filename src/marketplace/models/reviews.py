from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, market_fk, text_list_field, timestamp_field


class Review(SQLModel, table=True):
    """A member's review of a received order (评价); one per order."""

    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_1_to_5"),
        # the figures' reviews of a day, and the few hidden ones they leave out (services/rollups.py)
        sa.Index("ix_reviews_market_created", "market_id", "created_at"),
        sa.Index("ix_reviews_market_hidden", "market_id", postgresql_where=sa.text("hidden_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    order_id: int = Field(foreign_key="orders.id", nullable=False, unique=True)
    listing_id: int | None = Field(default=None, foreign_key="listings.id", index=True)
    provider_id: int = Field(foreign_key="users.id", nullable=False, index=True)
    member_id: int = Field(foreign_key="users.id", nullable=False)
    stars: int = Field(nullable=False)
    tags: list[str] = text_list_field()
    text: str = Field(default="", sa_type=sa.Text, nullable=False)
    reply: str | None = Field(default=None, sa_type=sa.Text)
    replied_at: datetime | None = timestamp_field()
    hidden_at: datetime | None = timestamp_field()
    hidden_reason: str | None = Field(default=None, sa_type=sa.Text)
    hidden_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
