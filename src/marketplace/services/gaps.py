"""Supply gaps (供需缺口) per category for a period, and closing them (上新): inviting fitting providers.

Demand is what members asked for and did not get: survey answers, needs posted, waitlist places and needs
that expired unmet. Supply is what the menu offered: published listings, sessions in the period, their
seats offered and taken, and the providers able to serve (the category's reach, domain/categories). The
gap is demand less the free seats; the largest first. An invitation (gap_invitations) tells the providers
whose categories and skills fit, with the needs summary (a notice, and so the webhook); a listing made
from it records the invitation, and the gap shows what was answered since (listings and seats).
"""

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.categories import domain_of, reach
from ..domain.listings import ListingState
from ..domain.orders import OrderKind, OrderState
from ..domain.roles import Role
from ..errors import Forbidden, InvalidInput, NotFound
from ..models import (
    Category,
    GapInvitation,
    Listing,
    ListingSession,
    Order,
    ProviderCategory,
    ProviderProfile,
    SurveyNeed,
    User,
)
from ..texts import msg
from . import audit, notices
from .needs_list import Filters, Period, needs_list, tree

MAX_INVITED = 30


@dataclass
class Gap:
    category_id: int
    domain_id: int
    name_zh: str
    name_en: str
    domain_zh: str
    domain_en: str
    survey: int = 0
    posted: int = 0
    waitlist: int = 0
    expired: int = 0
    listings: int = 0
    sessions: int = 0
    seats: int = 0
    seats_taken: int = 0
    providers: int = 0
    invitations: int = 0
    invited: int = 0
    answered_listings: int = 0
    answered_seats: int = 0
    words: list[str] = field(default_factory=list)

    @property
    def demand(self) -> int:
        return self.survey + self.posted + self.waitlist + self.expired

    @property
    def free_seats(self) -> int:
        return max(self.seats - self.seats_taken, 0)

    @property
    def gap(self) -> int:
        return max(self.demand - self.free_seats, 0)


async def gaps(db: AsyncSession, market_id: int, period: Period) -> list[Gap]:
    nodes = await tree(db, [market_id])
    parents = {k: v[0] for k, v in nodes.items()}
    found: dict[int, Gap] = {}

    def gap_of(category_id: int) -> Gap:
        if category_id not in found:
            domain = domain_of(category_id, parents)
            _, zh, en = nodes[category_id]
            found[category_id] = Gap(category_id, domain, zh, en, nodes[domain][1], nodes[domain][2])
        return found[category_id]

    async def add(attribute: str, query) -> None:
        for category_id, n in (await db.execute(query)).all():
            if category_id in nodes:
                row = gap_of(category_id)
                setattr(row, attribute, getattr(row, attribute) + (n or 0))

    in_period = lambda column: sa.and_(column >= period.since, column < period.until)  # noqa: E731
    await add(
        "survey",
        sa.select(SurveyNeed.category_id, sa.func.count())
        .where(SurveyNeed.market_id == market_id, in_period(SurveyNeed.answered_at))
        .group_by(SurveyNeed.category_id),
    )
    orders = [Order.market_id == market_id, in_period(Order.created_at)]
    for attribute, where in (
        ("posted", [Order.kind == OrderKind.need, Order.state != OrderState.expired]),
        ("expired", [Order.kind == OrderKind.need, Order.state == OrderState.expired]),
        ("waitlist", [Order.state == OrderState.waitlisted]),
    ):
        await add(
            attribute,
            sa.select(Order.category_id, sa.func.count()).where(*orders, *where).group_by(Order.category_id),
        )
    live = [Listing.market_id == market_id, Listing.state == ListingState.published]
    await add("listings", sa.select(Listing.category_id, sa.func.count()).where(*live).group_by(Listing.category_id))
    sessions = (
        sa.select(
            Listing.category_id,
            sa.func.count(ListingSession.id),
            sa.func.sum(ListingSession.capacity),
            sa.func.sum(ListingSession.seats_taken),
        )
        .join(Listing, Listing.id == ListingSession.listing_id)
        .where(*live, ListingSession.cancelled_at.is_(None), in_period(ListingSession.starts_at))
        .group_by(Listing.category_id)
    )
    for category_id, n, seats, taken in (await db.execute(sessions)).all():
        if category_id in nodes:
            row = gap_of(category_id)
            row.sessions, row.seats, row.seats_taken = n, seats or 0, taken or 0
    # invitations and what answered them
    invited = await db.execute(
        sa.select(
            GapInvitation.category_id,
            sa.func.count(),
            sa.func.sum(sa.func.cardinality(GapInvitation.provider_ids)),
        )
        .where(GapInvitation.market_id == market_id)
        .group_by(GapInvitation.category_id)
    )
    for category_id, n, people in invited.all():
        if category_id in found:
            found[category_id].invitations, found[category_id].invited = n, people or 0
    answered = await db.execute(
        sa.select(
            GapInvitation.category_id,
            sa.func.count(sa.distinct(Listing.id)),
            sa.func.coalesce(sa.func.sum(ListingSession.capacity), 0),
        )
        .join(Listing, Listing.invitation_id == GapInvitation.id)
        .outerjoin(
            ListingSession, sa.and_(ListingSession.listing_id == Listing.id, ListingSession.cancelled_at.is_(None))
        )
        .where(GapInvitation.market_id == market_id)
        .group_by(GapInvitation.category_id)
    )
    for category_id, n, seats in answered.all():
        if category_id in found:
            found[category_id].answered_listings, found[category_id].answered_seats = n, seats or 0
    # providers able to serve each category with demand
    serving = (
        await db.execute(
            sa.select(ProviderCategory.category_id, ProviderCategory.provider_id)
            .join(User, User.id == ProviderCategory.provider_id)
            .where(User.market_id == market_id, User.is_active.is_(True))
        )
    ).all()
    by_category: dict[int, set[int]] = {}
    for category_id, provider_id in serving:
        by_category.setdefault(category_id, set()).add(provider_id)
    for row in found.values():
        ids = reach(row.category_id, parents).ids
        row.providers = len(set().union(*(by_category.get(c, set()) for c in ids)))
    return sorted(found.values(), key=lambda g: (-g.gap, -g.demand, g.category_id))


async def fitting_providers(db: AsyncSession, market_id: int, category_id: int, words: list[str]) -> list[int]:
    """Providers who serve the category (its reach), those whose skills share most with the needs' words first."""
    nodes = await tree(db, [market_id])
    ids = reach(category_id, {k: v[0] for k, v in nodes.items()}).ids
    rows = await db.execute(
        sa.select(User.id, ProviderProfile.skills)
        .join(ProviderCategory, ProviderCategory.provider_id == User.id)
        .outerjoin(ProviderProfile, ProviderProfile.user_id == User.id)
        .where(
            User.market_id == market_id,
            User.is_active.is_(True),
            User.roles.contains([Role.provider.value]),
            ProviderCategory.category_id.in_(ids),
        )
        .distinct()
    )
    scored = Counter()
    for user_id, skills in rows.all():
        text = " ".join(skills or [])
        scored[user_id] = sum(1 for w in words if w in text) + (
            0.5 if any(s in " ".join(words) for s in skills or []) else 0
        )
    return [user_id for user_id, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_INVITED]


def summary_text(name_zh: str, demand: int, typical: list[str], words: list[str]) -> str:
    parts = [f"近期「{name_zh}」共有 {demand} 条职工需求尚未满足。"]
    if words:
        parts.append("高频词：" + "、".join(words[:6]) + "。")
    if typical:
        parts.append("典型诉求：" + "；".join(t[:60] for t in typical[:3]) + "。")
    parts.append("欢迎您据此发布新的服务项目。")
    return "".join(parts)


async def invite(db: AsyncSession, curator: User, category_id: int, period: Period) -> GapInvitation:
    """Invite the fitting providers to list for a category's gap: a notice each (and the webhook)."""
    category = await db.get(Category, category_id)
    if category is None or category.market_id != curator.market_id or category.archived_at is not None:
        raise InvalidInput("No such category.", field="category_id")  # a body naming a row: 400
    if period.until <= period.since:
        raise InvalidInput("The period ends before it starts.", field="until")
    listed = await needs_list(db, [curator.market_id], period, Filters())
    row = next((r for r in listed.rows if r.category_id == category_id), None)
    found = [g for g in await gaps(db, curator.market_id, period) if g.category_id == category_id]
    demand = found[0].demand if found else 0
    words, typical = (row.words, row.typical) if row else ([], [])
    providers = await fitting_providers(db, curator.market_id, category_id, words)
    if not providers:
        raise InvalidInput("No provider serves this category yet.", field="category_id")
    summary = summary_text(category.name_zh, demand, typical, words)
    invitation = GapInvitation(
        market_id=curator.market_id,
        category_id=category_id,
        created_by=curator.id,
        period_from=period.since,
        period_to=period.until,
        demand=demand,
        summary=summary,
        provider_ids=providers,
    )
    db.add(invitation)
    await db.flush()
    link = f"/provider/listings/new?invitation={invitation.id}"
    await notices.notify_many(
        db,
        [
            notices.notice(
                provider_id,
                curator.market_id,
                "gap_invitation",
                msg("Invitation to list a service: %(category)s", category=category.name_zh),
                summary,
                {"invitation_id": invitation.id, "category_id": category_id, "demand": demand, "link": link},
                dedupe_key=f"invitation:{invitation.id}:{provider_id}",
            )
            for provider_id in providers
        ],
    )
    await audit.record(
        db, curator, "invite_providers", "category", category_id, invitation_id=invitation.id, providers=len(providers)
    )
    return invitation


async def invitation_for(db: AsyncSession, provider: User, invitation_id: int) -> GapInvitation:
    """An invitation the provider received (404 for anyone else's)."""
    found = await db.get(GapInvitation, invitation_id)
    if found is None or found.market_id != provider.market_id or provider.id not in found.provider_ids:
        raise NotFound("No such invitation.")
    return found


async def check_answer(db: AsyncSession, provider: User, invitation_id: int | None) -> None:
    """A listing may name an invitation only its provider received."""
    if invitation_id is None:
        return
    try:
        await invitation_for(db, provider, invitation_id)
    except NotFound:
        raise Forbidden("This invitation was not sent to you.", field="invitation_id") from None
