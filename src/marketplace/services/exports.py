"""CSV exports of a market's orders and reviews for the union's own analysis (curators only)."""

import csv
import io

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..domain.phones import mask_phone
from ..models import Category, Listing, ListingSession, Order, Review, User
from . import audit_trail

ORDER_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "state",
    "title",
    "category",
    "member_id",
    "member_name",
    "member_phone",
    "provider_id",
    "provider_name",
    "session_starts_at",
    "delivered_at",
    "attended",
    "reorder_of_id",
]
REVIEW_COLUMNS = [
    "id",
    "created_at",
    "order_id",
    "listing_id",
    "listing_title",
    "provider_id",
    "provider_name",
    "stars",
    "tags",
    "text",
    "reply",
    "hidden",
    "hidden_reason",
]


# A cell starting with one of these is run as a formula by spreadsheet programs (and a name or review
# is text anyone can write): such cells get a leading apostrophe, which shows the text as it was typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutral_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(columns: list[str], rows) -> str:
    out = io.StringIO()
    # A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([neutral_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def _iso(value) -> str:
    return value.isoformat() if value else ""


async def orders_csv(db: AsyncSession, market_id: int) -> str:
    member, provider = aliased(User), aliased(User)
    # Plain columns, not ORM objects: an export reads every order of the market.
    rows = await db.execute(
        sa.select(
            Order.id,
            Order.created_at,
            Order.kind,
            Order.state,
            Order.title,
            Category.name_zh,
            member.id,
            member.name,
            member.phone,
            Order.provider_id,
            provider.name,
            ListingSession.starts_at,
            Order.delivered_at,
            Order.attended,
            Order.reorder_of_id,
        )
        .join(Category, Category.id == Order.category_id)
        .join(member, member.id == Order.member_id)
        .outerjoin(provider, provider.id == Order.provider_id)
        .outerjoin(ListingSession, ListingSession.id == Order.session_id)
        .where(Order.market_id == market_id)
        .order_by(Order.id)
    )
    return _csv(
        ORDER_COLUMNS,
        (
            [
                order_id,
                _iso(created_at),
                kind,
                state,
                title,
                category,
                member_id,
                member_name,
                mask_phone(phone),
                provider_id or "",
                provider_name or "",
                _iso(starts_at),
                _iso(delivered_at),
                "" if attended is None else int(attended),
                reorder_of_id or "",
            ]
            for (
                order_id,
                created_at,
                kind,
                state,
                title,
                category,
                member_id,
                member_name,
                phone,
                provider_id,
                provider_name,
                starts_at,
                delivered_at,
                attended,
                reorder_of_id,
            ) in rows
        ),
    )


async def reviews_csv(db: AsyncSession, market_id: int) -> str:
    rows = await db.execute(
        sa.select(Review, Listing.title, User.name)
        .outerjoin(Listing, Listing.id == Review.listing_id)
        .join(User, User.id == Review.provider_id)
        .where(Review.market_id == market_id)
        .order_by(Review.id)
    )
    return _csv(
        REVIEW_COLUMNS,
        (
            [
                r.id,
                _iso(r.created_at),
                r.order_id,
                r.listing_id or "",
                title or "",
                r.provider_id,
                provider_name,
                r.stars,
                ";".join(r.tags),
                r.text,
                r.reply or "",
                int(r.hidden_at is not None),
                r.hidden_reason or "",
            ]
            for r, title, provider_name in rows
        ),
    )


AUDIT_COLUMNS = ["at", "actor", "action", "target_type", "target_id", "why"]


async def audit_csv(db: AsyncSession, market_id: int) -> str:
    """The whole audit trail (services/audit_trail.py), newest first."""
    found = await audit_trail.trail(db, market_id, limit=1_000_000)
    rows = [(_iso(e.at), e.actor_name or "", e.action, e.target_type, e.target_id or "", e.why) for e in found.items]
    return _csv(AUDIT_COLUMNS, rows)
