"""What every imported table's import row holds (questionnaires, the real-name roster): the file, its
mapping, and how far the batches have come (services/tabular.py)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, json_field, market_fk, state_field, timestamp_field


class TabularImport(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    created_by: int | None = Field(default=None, foreign_key="users.id")
    filename: str = Field(sa_type=sa.String(200), nullable=False)
    digest: str = Field(sa_type=sa.String(64), nullable=False)
    size: int = Field(nullable=False)
    format: str = Field(sa_type=sa.String(10), nullable=False)  # csv | xlsx
    headers: list = json_field(default_factory=list)
    mapping: dict = json_field()  # field -> column index
    state: str = state_field("uploaded")  # uploaded | queued | running | done
    total_rows: int = Field(default=0, nullable=False)
    processed_rows: int = Field(default=0, nullable=False)
    imported_rows: int = Field(default=0, nullable=False)
    duplicate_rows: int = Field(default=0, nullable=False)  # already there, unchanged
    bad_rows: int = Field(default=0, nullable=False)
    # [{"row": n, "reason": "…", "params": {…}}], the first tabular.MAX_ERRORS
    errors: list = json_field(default_factory=list)
    created_at: datetime = created_at_field()
    started_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()
