"""In-app notices. Rows are written in the use case's transaction; `dedupe_key`
makes a notice that a retried job writes twice appear once."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import texts
from ..db import settings_of
from ..domain.orders import OrderKind, OrderState
from ..errors import NotFound
from ..models import CategoryFollow, Listing, Notification, Order, User
from ..models.base import hot, utcnow
from ..schemas.common import Page
from ..schemas.notices import NotificationOut
from ..settings import Settings
from ..texts import Msg, msg
from . import categories, outbound

TEXT_KEY = "text"  # data["text"]: {"title": message, "body": message}, put into words when read


async def notify(
    db: AsyncSession,
    user_id: int,
    market_id: int,
    kind: str,
    title: Msg | str,
    body: Msg | str = "",
    data: dict | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Write one notice. `title` and `body` are messages (`texts.msg`), put into words in the reader's
    language whenever it is read or sent; a plain string is shown as it is, in every language."""
    await notify_many(db, [notice(user_id, market_id, kind, title, body, data, dedupe_key)])


def notice(
    user_id: int,
    market_id: int,
    kind: str,
    title: Msg | str,
    body: Msg | str = "",
    data: dict | None = None,
    dedupe_key: str | None = None,
) -> dict:
    """One notice for `notify_many` (notify's arguments)."""
    return {
        "user_id": user_id,
        "market_id": market_id,
        "kind": kind,
        "title": title,
        "body": body,
        "data": data or {},
        "dedupe_key": dedupe_key,
    }


def stored(settings: Settings, title: Msg | str, body: Msg | str, data: dict | None) -> tuple[str, str, dict]:
    """A notice's columns: its messages kept in `data["text"]`, to be put into words for each reader, and the
    title and body in the deployment's language for whoever reads the table itself."""
    data = dict(data or {})
    text = {name: value for name, value in (("title", title), ("body", body)) if texts.is_msg(value)}
    if text:
        data[TEXT_KEY] = text
    lang, zone = texts.language(None, settings.language), ZoneInfo(settings.time_zone)
    return texts.render(lang, zone, title)[:200], texts.render(lang, zone, body), data


_NOTIFY = (
    insert(Notification.__table__)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])  # a NULL key never conflicts
    .returning(Notification.__table__.c.id)
)


async def notify_many(db: AsyncSession, rows: list[dict]) -> list[int]:
    """Write notices (made by `notice`) in one statement; a notice whose dedupe_key was written
    before is left out. Each new one is queued for delivery beyond the app. Returns the new ids."""
    if not rows:
        return []
    settings = settings_of(db)
    written = []
    for row in rows:
        title, body, data = stored(settings, row["title"], row["body"], row["data"])
        written.append({**row, "title": title, "body": body, "data": data})
    ids = list((await db.execute(_NOTIFY, written)).scalars())
    await outbound.queue_deliveries(db, ids)
    return ids


def words(notification: Notification, lang: str, zone: ZoneInfo) -> tuple[str, str]:
    """A notice's title and body in the reader's language (a notice written as plain text: as written)."""
    text = (notification.data or {}).get(TEXT_KEY) or {}
    title = texts.render(lang, zone, text["title"]) if "title" in text else notification.title
    body = texts.render(lang, zone, text["body"]) if "body" in text else notification.body
    return title, body


def reader_language(db: AsyncSession, user: User) -> str:
    """The language a person reads notices in: their choice (users.language), else the deployment's."""
    return texts.language(user.language, settings_of(db).language)


async def _audience(db: AsyncSession, listing: Listing) -> list[int]:
    """Followers of the listing's category or any above it, and members with a recent need there."""
    up = categories.ancestors_and_self(listing.category_id)
    followers = sa.select(CategoryFollow.user_id).where(CategoryFollow.category_id.in_(sa.select(up.c.id)))
    needers = sa.select(Order.member_id).where(
        Order.kind == OrderKind.need,
        Order.category_id.in_(sa.select(up.c.id)),
        Order.state.in_([OrderState.placed, OrderState.offered, OrderState.expired]),
        Order.created_at > utcnow() - timedelta(days=60),
    )
    rows = await db.execute(sa.union(followers, needers))
    return [uid for (uid,) in rows if uid != listing.provider_id]


async def tell_followers_of_new_listing(db: AsyncSession, listing: Listing) -> int:
    audience = await _audience(db, listing)
    for user_id in audience:
        await notify(
            db,
            user_id,
            listing.market_id,
            "new_listing",
            msg("New: %(title)s", title=listing.title),
            listing.summary,
            {"listing_id": listing.id},
            dedupe_key=f"new_listing:{listing.id}:{user_id}",
        )
    return len(audience)


async def tell_followers_of_new_sessions(db: AsyncSession, listing: Listing, session_ids: list[int]) -> int:
    audience = await _audience(db, listing)
    first = min(session_ids)
    for user_id in audience:
        await notify(
            db,
            user_id,
            listing.market_id,
            "new_sessions",
            msg("New sessions: %(title)s", title=listing.title),
            msg("Sessions added: %(n)s.", n=len(session_ids)),
            {"listing_id": listing.id, "session_ids": session_ids},
            dedupe_key=f"new_sessions:{listing.id}:{first}:{user_id}",
        )
    return len(audience)


async def list_for(
    db: AsyncSession, user: User, unread_only: bool, limit: int, offset: int, lang: str | None = None
) -> Page[NotificationOut]:
    """A person's notices, newest first, in `lang` (the page's language), else in the one they chose."""
    lang, zone = lang or reader_language(db, user), ZoneInfo(settings_of(db).time_zone)
    # the hot index only: read notices older than ARCHIVE_AFTER_DAYS are kept for the data download
    query = sa.select(Notification).where(Notification.user_id == user.id, hot(Notification))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await db.execute(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit).offset(offset)
        )
    ).scalars()
    return Page[NotificationOut](items=[_out(n, lang, zone) for n in rows], total=total)


def _out(n: Notification, lang: str, zone: ZoneInfo) -> NotificationOut:
    title, body = words(n, lang, zone)
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        title=title,
        body=body,
        data={k: v for k, v in (n.data or {}).items() if k != TEXT_KEY},
        read=n.read_at is not None,
        created_at=n.created_at,
    )


async def unread_count(db: AsyncSession, user_id: int) -> int:
    return (
        await db.execute(
            sa.select(sa.func.count()).where(
                Notification.user_id == user_id, Notification.read_at.is_(None), hot(Notification)
            )
        )
    ).scalar_one()


async def mark_read(db: AsyncSession, user: User, notification_id: int, lang: str | None = None) -> NotificationOut:
    notification = await db.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
    return _out(notification, lang or reader_language(db, user), ZoneInfo(settings_of(db).time_zone))


async def mark_all_read(db: AsyncSession, user: User) -> int:
    result = await db.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), hot(Notification))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
