from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field


class Market(SQLModel, table=True):
    """One union's market: its menu, batches, staff and figures (domain.md, "many unions")."""

    __tablename__ = "markets"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=sa.String(40), unique=True, nullable=False)
    name_zh: str = Field(sa_type=sa.String(100), nullable=False)
    name_en: str = Field(sa_type=sa.String(100), nullable=False)
    time_zone: str = Field(default="Asia/Shanghai", sa_type=sa.String(60), nullable=False)
    # Only members the union verified (实名, services/roster.py) may order in this market.
    verified_only: bool = Field(default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()})
    # The market tree (省—市—区): a parent publishes to and sees its children (services/market_tree.py).
    parent_id: int | None = Field(default=None, foreign_key="markets.id", index=True)
    created_at: datetime = created_at_field()
