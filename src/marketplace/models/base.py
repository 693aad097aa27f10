"""Shared column helpers and the metadata naming convention."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now()},
        nullable=False,
    )


def timestamp_field(nullable: bool = True, **kwargs: Any) -> Any:
    return Field(default=None, sa_type=sa.DateTime(timezone=True), nullable=nullable, **kwargs)


# Archiving (services/archive.py): a finished order or a read notice, once old, gets `archived_at` and leaves the
# hot partial indexes (`WHERE archived_at IS NULL`) for their archive twins (`IS NOT NULL`); the row stays.
HOT = "archived_at IS NULL"
ARCHIVED = "archived_at IS NOT NULL"


def newest() -> tuple:
    """An index's trailing columns for "newest first" pages (created_at DESC, id DESC)."""
    return sa.text("created_at DESC"), sa.text("id DESC")


def hot(model: Any) -> Any:
    """Only rows not archived: what the everyday pages read, off the hot indexes."""
    return model.archived_at.is_(None)


def archived_only(model: Any) -> Any:
    return model.archived_at.is_not(None)


def any_age(model: Any) -> Any:
    """Every row, hot or archived. Always true, but written so that PostgreSQL can combine the hot and the
    archive partial index (a BitmapOr) for a person's whole history; without it neither index applies."""
    return sa.or_(hot(model), archived_only(model))


def text_list_field() -> Any:
    return Field(
        default_factory=list,
        sa_type=ARRAY(sa.String),
        sa_column_kwargs={"server_default": "{}"},
        nullable=False,
    )


def json_field(default_factory: Any = dict, nullable: bool = False) -> Any:
    return Field(default_factory=default_factory, sa_type=JSONB, nullable=nullable)


def state_field(default: str, index: bool = False) -> Any:
    # Plain VARCHAR, not a PostgreSQL enum type: states are checked by domain/, and adding one needs no DDL.
    return Field(default=default, sa_type=sa.String(20), nullable=False, index=index)


def market_fk() -> Any:
    return Field(foreign_key="markets.id", nullable=False, index=True)


class PictureFiles(SQLModel):
    """A picture kept under the data folder as a large and a small WebP file named by their content's hash,
    so a file never changes under its name (cached for a year); shared by the tables of pictures (a
    listing's, a station's), whose files `services/pictures.py` writes, serves and removes."""

    position: int = Field(default=0, nullable=False)
    name: str = Field(sa_type=sa.String(80), nullable=False)  # the large file, at most 1280 px a side
    width: int = Field(nullable=False)
    height: int = Field(nullable=False)
    thumb_name: str = Field(sa_type=sa.String(80), nullable=False)  # the small one, at most 400 px a side
    thumb_width: int = Field(nullable=False)
    thumb_height: int = Field(nullable=False)
