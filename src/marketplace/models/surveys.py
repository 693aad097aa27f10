"""The needs loop's tables: imported questionnaires, the needs read from them, invitations to list for a gap."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from .base import created_at_field, market_fk, timestamp_field
from .imports import TabularImport


class SurveyImport(TabularImport, table=True):
    """A questionnaire file a curator uploaded, its mapping, and how far its import has come."""

    __tablename__ = "survey_imports"
    # The same file twice is one import (its SHA-256).
    __table_args__ = (sa.UniqueConstraint("market_id", "digest"),)

    classified_rows: int = Field(default=0, nullable=False)


class SurveyFile(SQLModel, table=True):
    """The uploaded rows (as plain CSV, an XLSX parsed once), apart from the import row (polled for progress),
    until the import is done."""

    __tablename__ = "survey_files"

    import_id: int = Field(foreign_key="survey_imports.id", primary_key=True, ondelete="CASCADE")
    content: bytes = Field(sa_type=sa.LargeBinary, nullable=False)


class SurveyNeed(SQLModel, table=True):
    """One respondent's need as kept: the mapped facts only, classified into the category tree."""

    __tablename__ = "survey_needs"
    # A row answered the same in any file counts once (a one-way digest of its cells).
    __table_args__ = (
        sa.UniqueConstraint("market_id", "row_digest"),
        sa.Index("ix_survey_needs_market_category", "market_id", "category_id"),
        # the curators' review queue: answers the classifier was unsure of and no curator filed
        sa.Index("ix_survey_needs_queue", "market_id", "filed_at", "confidence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    import_id: int = Field(foreign_key="survey_imports.id", nullable=False, index=True)
    row_number: int = Field(nullable=False)
    row_digest: str = Field(sa_type=sa.String(64), nullable=False)
    text: str = Field(sa_type=sa.Text, nullable=False)
    group: str = Field(default="", sa_type=sa.String(20), nullable=False)
    district: str = Field(default="", sa_type=sa.String(60), nullable=False)
    age_band: str = Field(default="", sa_type=sa.String(20), nullable=False)
    mode: str = Field(default="", sa_type=sa.String(10), nullable=False)
    times: str = Field(default="", sa_type=sa.String(60), nullable=False)
    answered_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    category_id: int | None = Field(default=None, foreign_key="categories.id")
    domain_id: int | None = Field(default=None, foreign_key="categories.id")
    confidence: float | None = Field(default=None)
    runner_up_id: int | None = Field(default=None, foreign_key="categories.id")
    # a curator's filing (confirmed or corrected): the category is theirs, no longer re-scored
    filed_at: datetime | None = timestamp_field()
    filed_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()


class GapInvitation(SQLModel, table=True):
    """A curator's call to fitting providers to list for a supply gap (邀请上新)."""

    __tablename__ = "gap_invitations"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    category_id: int = Field(foreign_key="categories.id", nullable=False, index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    period_from: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    period_to: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    demand: int = Field(default=0, nullable=False)
    summary: str = Field(default="", sa_type=sa.Text, nullable=False)
    provider_ids: list[int] = Field(
        default_factory=list, sa_type=ARRAY(sa.Integer), sa_column_kwargs={"server_default": "{}"}, nullable=False
    )
    created_at: datetime = created_at_field()
