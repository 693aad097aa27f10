"""The audit trail curators read: what staff did to accounts, the catalogue and reviews (audit_events),
and what they did to orders (the staff's moves in order_events) — who, when, to what, and why."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import Actor
from ..models import AuditEvent, OrderEvent, User
from ..schemas.common import Page

# The staff's moves of orders the trail shows (the members' and providers' own are the timeline's).
STAFF_ORDER_MOVES = ("offer", "reassign", "resolve_received", "resolve_cancelled", "cancel", "no_show")


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    actor_name: str | None
    action: str
    target_type: str
    target_id: int | None
    why: str


def _why(data: dict | None, reason: str | None = None) -> str:
    """The reason given, else what changed (before → after), else nothing."""
    data = data or {}
    for key in ("reason", "note"):
        if data.get(key):
            return str(data[key])
    if reason:
        return reason
    if "before" in data or "after" in data:
        return f"{data.get('before')} → {data.get('after')}"
    return ""


def _query(market_id: int):
    staff_events = sa.select(
        AuditEvent.at.label("at"),
        AuditEvent.actor_id.label("actor_id"),
        AuditEvent.action.label("action"),
        AuditEvent.target_type.label("target_type"),
        AuditEvent.target_id.label("target_id"),
        AuditEvent.data.label("data"),
        sa.literal("").label("reason"),
    ).where(AuditEvent.market_id == market_id)
    order_moves = sa.select(
        OrderEvent.at,
        OrderEvent.actor_id,
        OrderEvent.action,
        sa.literal("order"),
        OrderEvent.order_id,
        OrderEvent.data,
        OrderEvent.reason,
    ).where(
        OrderEvent.market_id == market_id,
        OrderEvent.actor_role.in_([Actor.operator.value, Actor.curator.value]),
        OrderEvent.action.in_(STAFF_ORDER_MOVES),
    )
    return sa.union_all(staff_events, order_moves).subquery("trail")


async def trail(
    db: AsyncSession,
    market_id: int,
    limit: int = 50,
    offset: int = 0,
    *,
    action: str | None = None,
    target_type: str | None = None,
    since: datetime | None = None,
) -> Page[TrailEntry]:
    """The newest first, a page at a time, with the complete count; narrowed to one kind of act, one kind
    of thing acted on, or a period when asked."""
    found = _query(market_id)
    where = []
    if action:
        where.append(found.c.action == action)
    if target_type:
        where.append(found.c.target_type == target_type)
    if since is not None:
        where.append(found.c.at >= since)
    total = (await db.execute(sa.select(sa.func.count()).select_from(found).where(*where))).scalar_one()
    rows = await db.execute(
        sa.select(found, User.name)
        .outerjoin(User, User.id == found.c.actor_id)
        .where(*where)
        .order_by(found.c.at.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        TrailEntry(row.at, row.name, row.action, row.target_type, row.target_id, _why(row.data, row.reason))
        for row in rows
    ]
    return Page[TrailEntry](items=items, total=total)
