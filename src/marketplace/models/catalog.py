from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from ..domain.listings import ListingState
from .base import PictureFiles, created_at_field, market_fk, state_field, text_list_field, timestamp_field


class Category(SQLModel, table=True):
    """A node of the category tree; the seven domains are its roots."""

    __tablename__ = "categories"
    __table_args__ = (sa.UniqueConstraint("market_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    parent_id: int | None = Field(default=None, foreign_key="categories.id", index=True)
    slug: str = Field(sa_type=sa.String(60), nullable=False)
    name_zh: str = Field(sa_type=sa.String(60), nullable=False)
    name_en: str = Field(sa_type=sa.String(80), nullable=False)
    position: int = Field(default=0, nullable=False)
    # How long a provider has to answer an offer in this category (None: the market default).
    offer_deadline_hours: int | None = Field(default=None)
    # Confidential (counselling, legal help): its reviews show the public neither the member nor the words;
    # the categories below it are confidential too.
    confidential: bool = Field(default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()})
    archived_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class CategoryFollow(SQLModel, table=True):
    """A member who wants to hear of 上新 in a category."""

    __tablename__ = "category_follows"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    category_id: int = Field(foreign_key="categories.id", primary_key=True, index=True)
    created_at: datetime = created_at_field()


class Batch(SQLModel, table=True):
    """A publishing batch (第一批, 第二批 …) that curators approve listings into."""

    __tablename__ = "batches"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    name: str = Field(sa_type=sa.String(100), nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()


class Listing(SQLModel, table=True):
    """A service a provider offers on the menu (备货)."""

    __tablename__ = "listings"
    __table_args__ = (
        sa.Index("ix_listings_market_state_category", "market_id", "state", "category_id"),
        # the menu's newest first: a page of it read off the index, not by sorting the whole menu
        sa.Index(
            "ix_listings_market_state_published",
            "market_id",
            "state",
            sa.text("published_at DESC NULLS LAST"),
            sa.text("id DESC"),
        ),
        # the menu's soonest first, read off the index like the newest; "available" is counted off it alone
        sa.Index(
            "ix_listings_market_state_next_session",
            "market_id",
            "state",
            "next_session_at",
            sa.text("id DESC"),
            postgresql_include=["shape", "seats_open_until"],
        ),
        # the worker's minute scan: the listings whose next session has started
        sa.Index(
            "ix_listings_next_session_at", "next_session_at", postgresql_where=sa.text("next_session_at IS NOT NULL")
        ),
        sa.Index(
            "ix_listings_search_grams", "search_grams", postgresql_using="gin", postgresql_with={"fastupdate": "off"}
        ),
        # a menu's listings shared below by the markets above it, in order (services/menu._menu_parts)
        sa.Index(
            "ix_listings_shared_below",
            "market_id",
            "state",
            sa.text("published_at DESC NULLS LAST"),
            sa.text("id DESC"),
            postgresql_where=sa.text("shared_below"),
        ),
        # a menu's search: the grams keyed by market (services/menu.on_menu_grams, migration 2026_11_30_menu_grams)
        sa.Index(
            "ix_listings_menu_search_grams",
            sa.text("menu_search_grams(market_id, state, shared_below, search_grams)"),
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    provider_id: int = Field(foreign_key="users.id", nullable=False, index=True)
    category_id: int = Field(foreign_key="categories.id", nullable=False)
    batch_id: int | None = Field(default=None, foreign_key="batches.id", index=True)
    title: str = Field(sa_type=sa.String(120), nullable=False)
    summary: str = Field(default="", sa_type=sa.String(300), nullable=False)
    description: str = Field(default="", sa_type=sa.Text, nullable=False)
    shape: str = Field(sa_type=sa.String(20), nullable=False)
    mode: str = Field(sa_type=sa.String(20), nullable=False)
    location: str = Field(default="", sa_type=sa.String(200), nullable=False)
    # Held at a union station (the venue): the station's page lists what is on there.
    station_id: int | None = Field(default=None, foreign_key="stations.id", index=True)
    target_groups: list[str] = text_list_field()
    auto_accept: bool = Field(default=False, nullable=False)
    # Only members the union verified (实名) may order it; the market may ask it of every listing.
    verified_only: bool = Field(default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()})
    # Published to every market below this one (a parent market's curator decides, services/market_tree.py).
    shared_below: bool = Field(default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()})
    state: str = state_field(ListingState.draft)
    rejection_reason: str | None = Field(default=None, sa_type=sa.Text)
    # Title, summary, description, category and provider text, searched with ILIKE in PostgreSQL.
    search_text: str = Field(default="", sa_type=sa.Text, nullable=False)
    # search_text's Chinese characters and character pairs and its Latin words, computed by PostgreSQL (the
    # search_grams() function of the migrations): a GIN index on it finds a term's listings without a scan.
    search_grams: list[str] | None = Field(
        default=None,
        sa_column=sa.Column(ARRAY(sa.Text), sa.Computed("search_grams(search_text)", persisted=True), nullable=False),
    )
    rating_avg: float | None = Field(default=None)
    rating_count: int = Field(default=0, nullable=False)
    rating_score: float | None = Field(default=None)
    # Kept by the triggers on listing_sessions (migration 2026_11_30_menuseats), never written here: the earliest
    # start after it was computed of a session not called off (stale once it starts, until the worker's minute
    # scan), and the latest start of one with a seat free (a seat in an upcoming session: it is after now).
    next_session_at: datetime | None = timestamp_field()
    seats_open_until: datetime | None = timestamp_field()
    cloned_from_id: int | None = Field(default=None, foreign_key="listings.id")
    # The invitation to list for a supply gap this listing answers (邀请上新), if any.
    invitation_id: int | None = Field(default=None, foreign_key="gap_invitations.id", index=True)
    published_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class ListingSession(SQLModel, table=True):
    """A dated session (group) or slot (one-to-one) of a listing, with its seats."""

    __tablename__ = "listing_sessions"
    __table_args__ = (
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    listing_id: int = Field(foreign_key="listings.id", nullable=False, index=True)
    starts_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False, index=True)
    ends_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    capacity: int = Field(nullable=False)
    seats_taken: int = Field(default=0, nullable=False)
    waitlist_open: bool = Field(default=True, nullable=False)
    # 优先群体: a share of the seats (percent) kept for these groups (domain/lottery.PriorityGroup); first come,
    # first served, others take only the rest until the release time (None: until the session starts).
    reserve_percent: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    reserve_groups: list[str] = text_list_field()
    reserve_release_at: datetime | None = timestamp_field()
    # …or (and) extra weight in its draw: a priority entry holds this many tickets (domain/lottery.py).
    priority_weight: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    cancelled_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class WaitlistLine(SQLModel, table=True):
    """A session's waiting line: the numbers given (`issued`) and how many numbered orders left it since
    (`departed`, kept by a trigger on orders). A new number less `departed` is its place
    (services/waitlist_lines.py)."""

    __tablename__ = "waitlist_lines"

    session_id: int = Field(foreign_key="listing_sessions.id", primary_key=True, ondelete="CASCADE")
    issued: int = Field(nullable=False)
    departed: int = Field(nullable=False)


class ListingPicture(PictureFiles, table=True):
    """A picture of a listing (at most a few)."""

    __tablename__ = "listing_pictures"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    listing_id: int = Field(foreign_key="listings.id", nullable=False, index=True)
    created_at: datetime = created_at_field()
