from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from .base import created_at_field, json_field, market_fk, text_list_field, timestamp_field


class User(SQLModel, table=True):
    """A person: member, provider, operator and/or curator of one home market."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    phone: str = Field(sa_type=sa.String(20), unique=True, nullable=False)
    name: str = Field(sa_type=sa.String(60), nullable=False)
    password_hash: str = Field(sa_type=sa.String(200), nullable=False)
    roles: list[str] = text_list_field()
    # Target groups the member belongs to (domain/roles.py MemberGroup), as a curator confirmed them: only
    # these unlock a group's listings.
    groups: list[str] = text_list_field()
    # Groups the member says they belong to, waiting for a curator to confirm (a claim unlocks nothing):
    # the groups of the member's pending verification request (services/roster.py), kept here by it.
    claimed_groups: list[str] = text_list_field()
    # Real-name verification (实名制): when, how ("roster": the union's roster matched phone and name;
    # "curator": a curator approved the member's request) and by whom (the curator who imported or approved).
    verified_at: datetime | None = timestamp_field()
    verified_source: str | None = Field(default=None, sa_type=sa.String(10))
    verified_by: int | None = Field(default=None, foreign_key="users.id")
    # Other markets (ids) a curator of the member's own market allows them to order in; by default a member
    # orders in their own union's market only (services/order_placement.check_orderable).
    order_markets: list[int] = Field(
        default_factory=list, sa_type=ARRAY(sa.Integer), sa_column_kwargs={"server_default": "{}"}
    )
    language: str | None = Field(default=None, sa_type=sa.String(10))
    # The union card number (工会会员卡号) from the real-name roster: the hotline finds a member by it.
    union_card: str | None = Field(default=None, sa_type=sa.String(30), unique=True)
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class ProviderProfile(SQLModel, table=True):
    """What a provider (劳模工匠) shows and what the matcher weighs."""

    __tablename__ = "provider_profiles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    bio: str = Field(default="", sa_type=sa.Text, nullable=False)
    honours: list[str] = text_list_field()
    skills: list[str] = text_list_field()
    area: str = Field(default="", sa_type=sa.String(60), nullable=False)
    online: bool = Field(default=False, nullable=False)
    # How many open orders (offered + accepted) the provider is willing to carry at once.
    capacity: int = Field(default=5, nullable=False)
    # Weekly windows the provider is usually free: [{"weekday": 0-6, "start": "19:00", "end": "21:00"}].
    availability: list[dict] = json_field(default_factory=list)
    rating_avg: float | None = Field(default=None)
    rating_count: int = Field(default=0, nullable=False)
    rating_score: float | None = Field(default=None)  # small-sample-robust (Bayesian) rating
    star_level: int = Field(default=0, nullable=False)
    updated_at: datetime | None = timestamp_field()


class ProviderCategory(SQLModel, table=True):
    """The categories a provider serves in; offers never go outside them."""

    __tablename__ = "provider_categories"

    provider_id: int = Field(foreign_key="users.id", primary_key=True)
    category_id: int = Field(foreign_key="categories.id", primary_key=True, index=True)
