"""评价: one review per received order, a reply per review, moderation, and robust ratings."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import has_role
from ..domain.ratings import average, bayesian_score
from ..domain.review_tags import counted, distinct
from ..domain.roles import Role
from ..domain.satisfaction import is_poor_review
from ..errors import Conflict, NotFound
from ..models import Listing, Order, ProviderProfile, Review, User
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.orders import ReviewIn
from ..schemas.reviews import ReviewOut
from ..texts import msg
from . import audit, categories, market_tree, notices, satisfaction
from .order_flow import for_action, move


def _public_name(name: str) -> str:
    return name[:1] + "**" if name else "**"


ANONYMOUS = "匿名职工"


def out(review: Review, member: User, viewer: User | None, confidential: bool = False, title: str = "") -> ReviewOut:
    """A review as this viewer may see it. Of a confidential category (counselling, legal help), the public
    sees only the stars: not who wrote it, nor their words, tags or the reply (PIPL)."""
    privileged = viewer is not None and (viewer.id == review.member_id or has_role(viewer, Role.curator, Role.operator))
    veiled = confidential and not privileged and not (viewer is not None and viewer.id == review.provider_id)
    return ReviewOut(
        id=review.id,
        order_id=review.order_id,
        listing_id=review.listing_id,
        title=title,
        provider_id=review.provider_id,
        member_name=member.name if privileged else ANONYMOUS if veiled else _public_name(member.name),
        stars=review.stars,
        tags=[] if veiled else review.tags,
        text="" if veiled else review.text,
        reply=None if veiled else review.reply,
        replied_at=review.replied_at,
        hidden=review.hidden_at is not None,
        hidden_reason=review.hidden_reason if privileged else None,
        created_at=review.created_at,
    )


async def recompute_ratings(db: AsyncSession, listing_id: int | None, provider_id: int) -> None:
    """Visible reviews only; recomputed in the same transaction as the change that moved them."""
    visible = Review.hidden_at.is_(None)
    if listing_id is not None:
        total, count = (
            await db.execute(
                sa.select(sa.func.coalesce(sa.func.sum(Review.stars), 0), sa.func.count()).where(
                    Review.listing_id == listing_id, visible
                )
            )
        ).one()
        await db.execute(
            sa.update(Listing)
            .where(Listing.id == listing_id)
            .values(rating_avg=average(total, count), rating_count=count, rating_score=bayesian_score(total, count))
        )
    total, count = (
        await db.execute(
            sa.select(sa.func.coalesce(sa.func.sum(Review.stars), 0), sa.func.count()).where(
                Review.provider_id == provider_id, visible
            )
        )
    ).one()
    await db.execute(
        sa.update(ProviderProfile)
        .where(ProviderProfile.user_id == provider_id)
        .values(rating_avg=average(total, count), rating_count=count, rating_score=bayesian_score(total, count))
    )


async def review(db: AsyncSession, member: User, order_id: int, data: ReviewIn) -> Order:
    order, caps = await for_action(db, member, order_id)
    move(db, order, "review", caps, member, data={"stars": data.stars})
    db.add(
        Review(
            market_id=order.market_id,
            order_id=order.id,
            listing_id=order.listing_id,
            provider_id=order.provider_id,
            member_id=order.member_id,
            stars=data.stars,
            tags=distinct(data.tags),
            text=data.text,
        )
    )
    await db.flush()
    if is_poor_review(data.stars):  # 1–2 stars: the union calls back, as for a poor survey answer
        await satisfaction.open_case(db, order)
    await recompute_ratings(db, order.listing_id, order.provider_id)
    await notices.notify(
        db,
        order.provider_id,
        order.market_id,
        "new_review",
        msg("New review: %(title)s", title=order.title),
        f"{'★' * data.stars} {data.text}",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:reviewed",
    )
    return order


async def tag_counts(db: AsyncSession, provider_id: int) -> list[tuple[str, int]]:
    """How often each quick tag was given to the provider in visible reviews, most often first."""
    tag = sa.func.unnest(Review.tags).label("tag")
    inner = sa.select(tag).where(Review.provider_id == provider_id, Review.hidden_at.is_(None)).subquery()
    rows = await db.execute(sa.select(inner.c.tag, sa.func.count()).group_by(inner.c.tag))
    return counted([(t, n) for t, n in rows.all()])


async def reply(db: AsyncSession, provider: User, review_id: int, text: str) -> ReviewOut:
    review = await db.get(Review, review_id, with_for_update=True)
    if review is None or review.provider_id != provider.id:
        raise NotFound("No such review.")
    if review.reply is not None:
        raise Conflict("This review already has your reply.")
    review.reply = text
    review.replied_at = utcnow()
    member = await db.get(User, review.member_id)
    return out(review, member, provider)


async def set_hidden(db: AsyncSession, curator: User, review_id: int, hidden: bool, reason: str) -> ReviewOut:
    review = await db.get(Review, review_id, with_for_update=True)
    if review is None or not await market_tree.reaches(db, curator, review.market_id):
        raise NotFound("No such review.")
    newly_hidden = hidden and review.hidden_at is None
    if hidden:
        review.hidden_at, review.hidden_by, review.hidden_reason = utcnow(), curator.id, reason
    else:
        # The reason for the earlier hiding stays on the audit trail.
        review.hidden_at, review.hidden_by, review.hidden_reason = None, None, None
    await audit.record(db, curator, "hide_review" if hidden else "show_review", "review", review.id, reason=reason)
    if newly_hidden:  # the member who wrote it is told why
        await notices.notify(
            db,
            review.member_id,
            review.market_id,
            "review_hidden",
            msg("Your review was hidden"),
            msg("Reason: %(reason)s", reason=reason),
            {"review_id": review.id, "order_id": review.order_id},
        )
    await recompute_ratings(db, review.listing_id, review.provider_id)
    member = await db.get(User, review.member_id)
    return out(review, member, curator)


async def for_listing(
    db: AsyncSession, viewer: User | None, listing_id: int, limit: int, offset: int
) -> Page[ReviewOut]:
    return await _page(db, viewer, Review.listing_id == listing_id, limit, offset, include_hidden=False)


async def for_provider(db: AsyncSession, provider: User, limit: int, offset: int) -> Page[ReviewOut]:
    return await _page(db, provider, Review.provider_id == provider.id, limit, offset, include_hidden=True)


async def for_staff(
    db: AsyncSession,
    staff: User,
    hidden: bool | None,
    limit: int,
    offset: int,
    stars: int | None = None,
    listing_id: int | None = None,
) -> Page[ReviewOut]:
    """The reviews of the staff's market and those below it, newest first: hidden or shown, of so many stars,
    of one listing, when asked."""
    condition = Review.market_id.in_(await market_tree.staff_markets(db, staff))
    if hidden is not None:
        condition = sa.and_(condition, Review.hidden_at.is_not(None) if hidden else Review.hidden_at.is_(None))
    if stars is not None:
        condition = sa.and_(condition, Review.stars == stars)
    if listing_id is not None:
        condition = sa.and_(condition, Review.listing_id == listing_id)
    return await _page(db, staff, condition, limit, offset, include_hidden=True)


async def reviewed_listings(db: AsyncSession, market_ids: list[int]) -> list[tuple[int, str]]:
    """The listings of the markets that have reviews (id, title), by title: moderation's filter."""
    rows = await db.execute(
        sa.select(Listing.id, Listing.title)
        .where(Listing.id.in_(sa.select(Review.listing_id).where(Review.market_id.in_(market_ids))))
        .order_by(Listing.title, Listing.id)
    )
    return [(lid, title) for lid, title in rows.all()]


async def _page(db, viewer, condition, limit, offset, include_hidden: bool) -> Page[ReviewOut]:
    query = (
        sa.select(Review, User, Order.category_id, Order.title)
        .join(User, User.id == Review.member_id)
        .join(Order, Order.id == Review.order_id)
        .where(condition)
    )
    if not include_hidden:
        query = query.where(Review.hidden_at.is_(None))
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await db.execute(query.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit).offset(offset))
    ).all()
    veiled = await categories.confidential_ids(db, {r.market_id for r, *_ in rows})  # a parent's staff: below too
    return Page[ReviewOut](items=[out(r, m, viewer, c in veiled, t) for r, m, c, t in rows], total=total)
