"""The batch matcher (配货 of free-form needs): open needs of a market are offered, many at once,
to the providers who fit best (domain/matching.py), each provider's capacity respected.

One batch runs per market at a time (a PostgreSQL advisory lock), so two workers never hand
the same provider's last free place to two needs.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain import matching
from ..domain.categories import Reach, reach
from ..domain.orders import Actor, OrderKind, OrderState
from ..domain.roles import Role
from ..models import Category, Listing, Offer, Order, ProviderCategory, ProviderProfile, User
from ..models.base import utcnow
from .order_flow import move, offer_deadline_hours, open_offer

log = logging.getLogger(__name__)
MATCH_NEEDS = "match_needs"
_LOCK_CLASS = 4_0001  # pg_advisory_xact_lock(class, market id): one batch per market at a time


@dataclass
class MatchReport:
    needs: int = 0  # open needs looked at
    offered: int = 0
    unmatched: int = 0  # no provider with a free place fits them now
    unreadable: int = 0  # needs whose row could not be read: handed to the operators instead

    def as_dict(self) -> dict:
        return {
            "needs": self.needs,
            "offered": self.offered,
            "unmatched": self.unmatched,
            "unreadable": self.unreadable,
        }


async def queue_match(db: AsyncSession, order: Order) -> None:
    """Ask the matcher to look at this need (once per need and offer attempt)."""
    await queue.enqueue(
        db,
        MATCH_NEEDS,
        {"market_id": order.market_id, "order_id": order.id},
        dedupe_key=f"order:{order.id}:match:{order.offer_attempts}",
    )


async def markets_with_open_needs(db: AsyncSession) -> list[int]:
    rows = await db.execute(
        sa.select(Order.market_id)
        .where(Order.kind == OrderKind.need, Order.state == OrderState.placed, Order.escalated_at.is_(None))
        .distinct()
    )
    return list(rows.scalars())


async def match_market(db: AsyncSession, market_id: int, now: datetime | None = None) -> MatchReport:
    """Offer the market's open needs, oldest first, in one batch of at most MATCH_BATCH_SIZE."""
    now = now or utcnow()
    settings = settings_of(db)
    await db.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_CLASS, market_id)))
    needs = list(
        (
            await db.execute(
                sa.select(Order)
                .where(
                    Order.market_id == market_id,
                    Order.kind == OrderKind.need,
                    Order.state == OrderState.placed,
                    Order.escalated_at.is_(None),  # the operators have it
                    sa.or_(Order.expires_at.is_(None), Order.expires_at > now),
                )
                .order_by(Order.created_at, Order.id)
                .limit(settings.match_batch_size)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not needs:
        return MatchReport()
    need_facts, unreadable = await _need_facts(db, market_id, needs, settings.time_zone)
    for order, error in unreadable:
        await _set_aside(db, order, now, error)
    if not need_facts:
        return MatchReport(len(needs), 0, 0, len(unreadable))
    categories = {c for facts in need_facts for c in (*facts.category_path, *facts.category_below)}
    providers = await _provider_facts(db, market_id, categories, now)
    by_id = {order.id: order for order in needs}
    assignments = matching.assign(need_facts, providers)
    hours = {c: await offer_deadline_hours(db, c) for c in {order.category_id for order in needs}}
    # The statements below do not read what the loop adds, so it is written once, in batches, at the end.
    with db.no_autoflush:
        for assignment in assignments:
            order = by_id[assignment.need_id]
            parts = {**assignment.score.parts, "fit": assignment.score.fit, "total": assignment.score.total}
            move(
                db,
                order,
                "offer",
                {Actor.system},
                None,
                "matched",
                {"provider_id": assignment.provider_id, "score": assignment.score.total},
            )
            await open_offer(
                db, order, assignment.provider_id, assignment.score.total, parts, hours=hours[order.category_id]
            )
    await db.flush()
    return MatchReport(len(needs), len(assignments), len(need_facts) - len(assignments), len(unreadable))


async def _set_aside(db: AsyncSession, order: Order, now: datetime, error: Exception) -> None:
    """One need the matcher cannot read (a row from before the input bounds, say) must not hold up
    the others: it goes to the operators' queue with the reason, and the log says why."""
    from .deadlines import escalate  # deadlines imports this module

    reason = f"the matcher could not read this need ({type(error).__name__}: {error})"[:500]
    log.error("need #%s set aside for the operators: %s", order.id, reason, exc_info=error)
    await escalate(db, order, now, reason)


async def _need_facts(
    db: AsyncSession, market_id: int, needs: list[Order], time_zone: str
) -> tuple[list[matching.NeedFacts], list[tuple[Order, Exception]]]:
    """The facts of each need, and the needs whose facts could not be made (with why)."""
    parents = dict(
        (await db.execute(sa.select(Category.id, Category.parent_id).where(Category.market_id == market_id))).all()
    )
    groups = dict(
        (await db.execute(sa.select(User.id, User.groups).where(User.id.in_({n.member_id for n in needs})))).all()
    )
    excluded: dict[int, set[int]] = {}
    offered_before = await db.execute(
        sa.select(Offer.order_id, Offer.provider_id).where(Offer.order_id.in_([n.id for n in needs]))
    )
    for order_id, provider_id in offered_before:
        excluded.setdefault(order_id, set()).add(provider_id)
    reaches: dict[int, Reach] = {c: reach(c, parents) for c in {n.category_id for n in needs}}
    facts: list[matching.NeedFacts] = []
    unreadable: list[tuple[Order, Exception]] = []
    for need in needs:
        try:
            one = matching.NeedFacts(
                id=need.id,
                member_id=need.member_id,
                category_path=reaches[need.category_id].path,
                category_below=reaches[need.category_id].below,
                text=" ".join(p for p in (need.title, need.description, need.note) if p),
                mode=need.mode,
                groups=frozenset(groups.get(need.member_id) or ()),
                preferred_times=tuple(_times(need.preferred_times)),
                # Never offered again to a provider who had it (declined, let it time out, or had it taken away).
                excluded=frozenset(excluded.get(need.id, ())),
                time_zone=time_zone,
            )
            one.grams, one.local_times  # noqa: B018  (computed here, so a bad row fails here, alone)
        except Exception as error:  # any odd row: set aside, never the whole batch
            unreadable.append((need, error))
            continue
        facts.append(one)
    return facts, unreadable


def _times(raw: list[dict]):
    for window in raw or ():
        try:
            yield datetime.fromisoformat(window["starts_at"]), datetime.fromisoformat(window["ends_at"])
        except (KeyError, TypeError, ValueError):
            continue


async def _counts(db: AsyncSession, query) -> dict[int, int]:
    return dict((await db.execute(query)).all())


async def _provider_facts(
    db: AsyncSession, market_id: int, categories: set[int], now: datetime
) -> list[matching.ProviderFacts]:
    serving = sa.select(ProviderCategory.provider_id).where(ProviderCategory.category_id.in_(categories))
    rows = (
        await db.execute(
            sa.select(ProviderProfile)
            .join(User, User.id == ProviderProfile.user_id)
            .where(
                User.market_id == market_id,
                User.is_active.is_(True),
                sa.literal(Role.provider.value) == sa.any_(User.roles),
                User.id.in_(serving),
            )
        )
    ).scalars()
    profiles = {p.user_id: p for p in rows}
    if not profiles:
        return []
    ids = list(profiles)
    served: dict[int, set[int]] = {}
    for provider_id, category_id in await db.execute(
        sa.select(ProviderCategory.provider_id, ProviderCategory.category_id).where(
            ProviderCategory.provider_id.in_(ids)
        )
    ):
        served.setdefault(provider_id, set()).add(category_id)
    load = await _counts(
        db,
        sa.select(Order.provider_id, sa.func.count())
        .where(Order.provider_id.in_(ids), Order.state.in_([OrderState.offered, OrderState.accepted]))
        .group_by(Order.provider_id),
    )
    recent_offers = await _counts(
        db,
        sa.select(Offer.provider_id, sa.func.count())
        .where(Offer.provider_id.in_(ids), Offer.created_at > now - timedelta(days=matching.RECENT_OFFER_DAYS))
        .group_by(Offer.provider_id),
    )
    # A lapse (an offer left to time out) weighs like a decline; one closed without a time dates from its deadline.
    answered_at = sa.func.coalesce(Offer.responded_at, Offer.deadline_at)
    declines = {
        provider_id: (recent, fresh)
        for provider_id, recent, fresh in await db.execute(
            sa.select(
                Offer.provider_id,
                sa.func.count(),
                sa.func.count().filter(answered_at > now - timedelta(hours=matching.FRESH_DECLINE_HOURS)),
            )
            .where(
                Offer.provider_id.in_(ids),
                Offer.state.in_(["declined", "expired"]),
                answered_at > now - timedelta(days=matching.RECENT_DECLINE_DAYS),
            )
            .group_by(Offer.provider_id)
        )
    }
    groups: dict[int, set[str]] = {}
    target = sa.func.unnest(Listing.target_groups)
    for provider_id, group in await db.execute(
        sa.select(Listing.provider_id, target)
        .where(Listing.provider_id.in_(ids), Listing.state == "published")
        .distinct()
    ):
        groups.setdefault(provider_id, set()).add(group)
    return [
        matching.ProviderFacts(
            id=pid,
            categories=frozenset(served.get(pid, ())),
            skills=tuple(p.skills or ()),
            area=p.area or "",
            online=p.online,
            availability=tuple(w for w in (matching.Window.parse(raw) for raw in p.availability or ()) if w),
            rating_score=p.rating_score,
            capacity=p.capacity,
            open_load=load.get(pid, 0),
            recent_offers=recent_offers.get(pid, 0),
            recent_declines=declines.get(pid, (0, 0))[0],
            fresh_declines=declines.get(pid, (0, 0))[1],
            groups=frozenset(groups.get(pid, ())),
        )
        for pid, p in profiles.items()
    ]
