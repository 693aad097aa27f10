"""Who a priority reserve keeps seats for (优先群体), and how many it keeps.

A session's reserve (`listing_sessions.reserve_percent`, `reserve_groups`, `reserve_release_at`) keeps its seats
for the members of its groups until its release time (else the session's start): a member outside them takes
a seat first come, first served only while `seats_taken < capacity - held_back`. The placement, an
organisation's booking and every promotion from the waiting line (order_flow.promote_waitlist) apply the same
rule; the draw gives the reserve to priority entries first (services/lottery.py).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import lottery as rules
from ..domain.lottery import PriorityGroup
from ..domain.orders import OrderState
from ..models import Order, User
from ..models.base import any_age

SERVED = sorted({OrderState.delivered, OrderState.received, OrderState.reviewed})


async def priority_of(db: AsyncSession, members: dict[int, list[str]], groups: list[str]) -> dict[int, list[str]]:
    """The reserve's groups each member is in: confirmed member groups, and `first_time` for a member never
    served (no order ever delivered)."""
    wanted = set(groups)
    found = {mid: sorted(wanted & set(mine)) for mid, mine in members.items()}
    if PriorityGroup.first_time in wanted and members:
        served = set(
            (
                await db.execute(
                    sa.select(Order.member_id)
                    .where(Order.member_id.in_(list(members)), any_age(Order), Order.state.in_(SERVED))
                    .distinct()
                )
            ).scalars()
        )
        for mid in members:
            if mid not in served:
                found[mid] = sorted({*found[mid], PriorityGroup.first_time.value})
    return found


async def holds_priority(db: AsyncSession, member: User, groups: list[str]) -> bool:
    return bool((await priority_of(db, {member.id: list(member.groups)}, groups))[member.id])


def reserve_held_back(
    capacity: int, percent: int, release_at: datetime | None, starts_at: datetime, now: datetime
) -> int:
    """Seats first come, first served others may not take: the reserve, until its release time."""
    if not percent or now >= (release_at or starts_at):
        return 0
    return rules.reserve_seats(capacity, percent)
