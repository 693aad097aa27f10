from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..domain.orders import LIVE_STATES, OrderState
from .base import ARCHIVED, HOT, created_at_field, json_field, market_fk, newest, state_field, timestamp_field

_live = ", ".join(f"'{s.value}'" for s in sorted(LIVE_STATES))
# The predicate of the "one live order per member per session" index.
LIVE_SESSION_ORDER = f"session_id IS NOT NULL AND state IN ({_live})"
# ... and of "one live order per member per on-request listing" (a listing order without a session; such an
# order is never `registered`, a draw being a session's).
_live_on_request = ", ".join(f"'{s.value}'" for s in sorted(LIVE_STATES - {OrderState.registered}))
LIVE_ON_REQUEST_ORDER = f"session_id IS NULL AND listing_id IS NOT NULL AND state IN ({_live_on_request})"


class Order(SQLModel, table=True):
    """A member's order of a listing (a session, a slot or on request) or a free-form need."""

    __tablename__ = "orders"
    __table_args__ = (
        # No double orders: one live order per member per session (or on-request listing), kept by PostgreSQL.
        sa.Index(
            "uq_orders_member_session_live",
            "member_id",
            "session_id",
            unique=True,
            postgresql_where=sa.text(LIVE_SESSION_ORDER),
        ),
        sa.Index(
            "uq_orders_member_on_request_live",
            "member_id",
            "listing_id",
            unique=True,
            postgresql_where=sa.text(LIVE_ON_REQUEST_ORDER),
        ),
        sa.Index("ix_orders_session_state_created", "session_id", "state", "created_at"),
        # A person's orders: the hot ones (my orders, the provider's console) and, apart, the archived history.
        sa.Index("ix_orders_provider_state_hot", "provider_id", "state", postgresql_where=sa.text(HOT)),
        sa.Index("ix_orders_provider_archived", "provider_id", *newest(), postgresql_where=sa.text(ARCHIVED)),
        sa.Index("ix_orders_member_hot", "member_id", *newest(), postgresql_where=sa.text(HOT)),
        sa.Index("ix_orders_member_archived", "member_id", *newest(), postgresql_where=sa.text(ARCHIVED)),
        sa.Index("ix_orders_market_state_updated", "market_id", "state", "updated_at"),
        # the desk's newest orders first, and the figures' "since" periods, read off the index
        sa.Index("ix_orders_market_created", "market_id", sa.text("created_at DESC"), sa.text("id DESC")),
        # the figures' visits of a day (services/rollups.py)
        sa.Index(
            "ix_orders_market_delivered",
            "market_id",
            "delivered_at",
            postgresql_where=sa.text("delivered_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    kind: str = Field(sa_type=sa.String(20), nullable=False)
    member_id: int = Field(foreign_key="users.id", nullable=False)
    listing_id: int | None = Field(default=None, foreign_key="listings.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="listing_sessions.id")
    category_id: int = Field(foreign_key="categories.id", nullable=False, index=True)
    # The provider it is offered or assigned to (a listing's owner, or the matcher's choice for a need).
    provider_id: int | None = Field(default=None, foreign_key="users.id")
    state: str = state_field(OrderState.placed)
    holds_seat: bool = Field(default=False, nullable=False)
    title: str = Field(default="", sa_type=sa.String(120), nullable=False)
    description: str = Field(default="", sa_type=sa.Text, nullable=False)
    note: str = Field(default="", sa_type=sa.Text, nullable=False)
    mode: str | None = Field(default=None, sa_type=sa.String(20))
    preferred_times: list[dict] = json_field(default_factory=list)
    # Agreed arrangements: {"starts_at": iso, "place": str, "link": str}.
    arrangement: dict = json_field()
    arranged_at: datetime | None = timestamp_field()
    # Without a session: when the member agreed to the arrangement (or the provider took their time), and
    # the other time the member proposed, waiting for the provider: {"starts_at": iso, "note": str, "at": iso}.
    time_agreed_at: datetime | None = timestamp_field()
    time_proposal: dict | None = json_field(default_factory=lambda: None, nullable=True)
    attended: bool | None = Field(default=None)
    delivery_note: str = Field(default="", sa_type=sa.Text, nullable=False)
    offer_attempts: int = Field(default=0, nullable=False)
    escalated_at: datetime | None = timestamp_field()
    # A waitlisted member promoted to a seat confirms by then, or the seat goes to the next in line.
    confirm_by: datetime | None = timestamp_field()
    # A need is open until then; after it, nobody having taken it, it expires.
    expires_at: datetime | None = timestamp_field()
    # 抽签: the place in the draw order of a session's lottery (the waiting list follows it).
    draw_rank: int | None = Field(default=None)
    # First come, first served: its number in its session's waiting line, taken after it committed
    # (services/waitlist_lines.py); promotions follow it. In no index: numbering is a HOT update.
    line_place: int | None = Field(default=None)
    reorder_of_id: int | None = Field(default=None, foreign_key="orders.id")
    delivered_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # Set when, finished and old, it left the hot indexes (services/archive.py); a move clears it.
    archived_at: datetime | None = timestamp_field()


# The partitions of `order_events` (migration `2026_11_30_eventparts`): tables of their own that no model maps.
ORDER_EVENT_PARTITIONS = {False: "order_events_hot", True: "order_events_archive"}


class OrderEvent(SQLModel, table=True):
    """Every transition of every order: who, when, from, to, why. The one history table.

    Partitioned by `archived` (issue #17 item 5): the nightly archive job moves an archived order's events
    to `order_events_archive`, so the hot partition's indexes hold only the events of orders still in use.
    A query that does not name `archived` reads both partitions (every figure, every order's timeline).
    The primary key holds the partition key, as PostgreSQL requires; ids still come from one sequence."""

    __tablename__ = "order_events"
    __table_args__ = (
        # the figures' funnel and the disputed list: a market's orders that reached a state
        sa.Index("ix_order_events_market_to_state_order", "market_id", "to_state", "order_id"),
        {"postgresql_partition_by": "LIST (archived)"},
    )

    id: int | None = Field(default=None, primary_key=True, sa_column_kwargs={"autoincrement": True})
    order_id: int = Field(foreign_key="orders.id", nullable=False, index=True)
    market_id: int = market_fk()
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="users.id")  # None: the system
    actor_role: str = Field(sa_type=sa.String(20), nullable=False)
    action: str = Field(sa_type=sa.String(30), nullable=False)
    from_state: str | None = Field(default=None, sa_type=sa.String(20))
    to_state: str = Field(sa_type=sa.String(20), nullable=False)
    reason: str = Field(default="", sa_type=sa.Text, nullable=False)
    data: dict = json_field()
    # set with its order's `archived_at` by the archive job (services/archive.py); a new event is always hot
    archived: bool = Field(default=False, primary_key=True, sa_column_kwargs={"server_default": sa.false()})


class OrderMessage(SQLModel, table=True):
    """One message of an order's thread: its member and provider talk (phones stay masked); staff read
    and write while the order is disputed or escalated, and read it after that."""

    __tablename__ = "order_messages"
    __table_args__ = (sa.Index("ix_order_messages_order_created", "order_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    order_id: int = Field(foreign_key="orders.id", nullable=False)
    author_id: int = Field(foreign_key="users.id", nullable=False)
    author_role: str = Field(sa_type=sa.String(20), nullable=False)  # member, provider, operator, curator
    body: str = Field(sa_type=sa.Text, nullable=False)
    created_at: datetime = created_at_field()


class Offer(SQLModel, table=True):
    """An order offered to one provider, with the score that chose them and a deadline."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.Index(
            "uq_offers_order_pending",
            "order_id",
            unique=True,
            postgresql_where=sa.text("state = 'pending'"),
        ),
        sa.Index("ix_offers_provider_created", "provider_id", "created_at"),
        sa.Index("ix_offers_state_deadline", "state", "deadline_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    order_id: int = Field(foreign_key="orders.id", nullable=False, index=True)
    provider_id: int = Field(foreign_key="users.id", nullable=False)
    state: str = state_field("pending")  # pending | accepted | declined | expired | withdrawn
    score: float | None = Field(default=None)
    score_parts: dict = json_field()
    deadline_at: datetime | None = timestamp_field()
    reason: str = Field(default="", sa_type=sa.Text, nullable=False)
    created_at: datetime = created_at_field()
    responded_at: datetime | None = timestamp_field()


class IdempotencyKey(SQLModel, table=True):
    """The first response to a creating request, replayed for the same user and key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    key: str = Field(sa_type=sa.String(200), nullable=False)
    status_code: int | None = Field(default=None)
    response: dict | None = json_field(default_factory=lambda: None, nullable=True)
    created_at: datetime = created_at_field()
