"""What the classifier of free-text needs keeps: its suggestion per need, and what curators filed."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, market_fk, timestamp_field


class NeedClassification(SQLModel, table=True):
    """The classifier's suggestion for a need, and the curator's filing of it (the review queue's row)."""

    __tablename__ = "need_classifications"
    __table_args__ = (sa.Index("ix_need_classifications_queue", "market_id", "filed_at", "confidence"),)

    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    market_id: int = market_fk()
    category_id: int = Field(foreign_key="categories.id", nullable=False)
    confidence: float = Field(nullable=False)
    runner_up_id: int | None = Field(default=None, foreign_key="categories.id")
    created_at: datetime = created_at_field()
    filed_at: datetime | None = timestamp_field()
    filed_by: int | None = Field(default=None, foreign_key="users.id")


class NeedLabel(SQLModel, table=True):
    """A text a curator filed under a category: evidence for that category from then on."""

    __tablename__ = "need_labels"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    category_id: int = Field(foreign_key="categories.id", nullable=False, index=True)
    # The need it came from (None: a text filed by itself); a need is filed once, a correction replaces it.
    order_id: int | None = Field(default=None, foreign_key="orders.id", unique=True)
    # or the questionnaire answer it came from (filed once too); the text stays evidence if the answer goes
    survey_need_id: int | None = Field(default=None, foreign_key="survey_needs.id", unique=True, ondelete="SET NULL")
    text: str = Field(sa_type=sa.Text, nullable=False)
    filed_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()


class ClassifierVersion(SQLModel, table=True):
    """Bumped in the transaction that files a need, so every process rebuilds its classifier."""

    __tablename__ = "classifier_versions"

    market_id: int = Field(foreign_key="markets.id", primary_key=True)
    version: int = Field(default=0, nullable=False)
