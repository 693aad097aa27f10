"""Listings (备货): draft, submit, approve into a batch, pause, close, add sessions (上新)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import cache
from ..auth import has_role
from ..domain.bounds import HORIZON
from ..domain.listings import ListingShape, ListingState, ServiceMode, next_listing_state, split_clashes, weekly
from ..domain.orders import Actor, OrderState
from ..domain.roles import Role
from ..domain.service_time import service_time
from ..errors import Conflict, Forbidden, InvalidInput, MarketError, NotFound
from ..models import Batch, Category, Listing, ListingPicture, ListingSession, Order, User
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.listings import BatchIn, BatchOut, ListingIn, ListingPatch, SessionIn
from ..texts import msg
from . import audit, categories, gaps, market_tree, notices
from .order_flow import close_offer, drop_reminders, move

CANCELLABLE = (
    OrderState.placed,
    OrderState.offered,
    OrderState.accepted,
    OrderState.waitlisted,
    OrderState.registered,  # 抽签: an entry of a draw not yet drawn
)


def check_sessions(shape: str, sessions: list[SessionIn], now: datetime) -> None:
    if shape == ListingShape.on_request and sessions:
        raise InvalidInput("An on-request listing has no sessions; times are agreed after ordering.", field="sessions")
    for index, session in enumerate(sessions):
        if session.starts_at <= now:
            raise InvalidInput("A session must start in the future.", field=f"sessions.{index}.starts_at")


def _session_rows(listing: Listing, sessions: list[SessionIn]) -> list[ListingSession]:
    # A one-to-one slot is one seat, whatever capacity was sent.
    return [
        ListingSession(
            market_id=listing.market_id,
            listing_id=listing.id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            capacity=1 if listing.shape == ListingShape.slot else s.capacity,
        )
        for s in sessions
    ]


async def refresh_search_text(db: AsyncSession, listing: Listing) -> None:
    """What `q` searches: the listing's words, its category's names and its provider's name.
    (Not the provider's other skills: a search for 心理 should not find their law lecture.)"""
    category = await db.get(Category, listing.category_id)
    provider = await db.get(User, listing.provider_id)
    parts = [listing.title, listing.summary, listing.description, listing.location]
    parts += [category.name_zh, category.name_en] if category else []
    parts += [provider.name] if provider else []
    listing.search_text = " ".join(p for p in parts if p).lower()


async def create(db: AsyncSession, provider: User, data: ListingIn) -> Listing:
    await categories.get_live(db, provider.market_id, data.category_id)
    if data.mode == ServiceMode.offline and not data.location:
        raise InvalidInput("An offline service needs a location.", field="location")
    check_sessions(data.shape, data.sessions, utcnow())
    await gaps.check_answer(db, provider, data.invitation_id)
    listing = Listing(
        market_id=provider.market_id,
        provider_id=provider.id,
        **data.model_dump(exclude={"sessions", "target_groups"}),
        target_groups=[g.value for g in data.target_groups],
        state=ListingState.draft,
    )
    await refresh_search_text(db, listing)
    db.add(listing)
    await db.flush()
    db.add_all(_session_rows(listing, data.sessions))
    return listing


async def get_listing(db: AsyncSession, listing_id: int, *, lock: bool = False) -> Listing:
    listing = await db.get(Listing, listing_id, with_for_update=lock)
    if listing is None:
        raise NotFound("No such listing.")
    return listing


async def _staff_of(db: AsyncSession, user: User, listing: Listing, *roles: Role) -> bool:
    """Whether the user is staff (of these roles) of the listing's market or of a market above it."""
    return has_role(user, *roles) and await market_tree.reaches(db, user, listing.market_id)


async def get_visible(db: AsyncSession, user: User | None, listing_id: int) -> Listing:
    """A published (or paused/closed) listing for a visitor and for the members who see it on their menu
    (their market's, what the markets above share below, the markets a curator let them order in); every
    listing for its provider and the staff of its market and of the markets above it."""
    listing = await get_listing(db, listing_id)
    public = listing.state in (ListingState.published, ListingState.paused, ListingState.closed)
    if public and (user is None or await market_tree.sees_listing(db, user.market_id, user.order_markets, listing)):
        return listing
    if user is not None and (
        listing.provider_id == user.id or await _staff_of(db, user, listing, Role.curator, Role.operator)
    ):
        return listing
    raise NotFound("No such listing.")


async def _owned(db: AsyncSession, user: User, listing_id: int) -> Listing:
    listing = await get_listing(db, listing_id, lock=True)
    if listing.provider_id != user.id and not await _staff_of(db, user, listing, Role.curator):
        raise NotFound("No such listing.")
    return listing


def _move(listing: Listing, action: str) -> None:
    target = next_listing_state(ListingState(listing.state), action)
    if target is None:
        raise Conflict(
            "This listing is %(listing_state)s; '%(listing_action)s' is not possible from that state.",
            params={"listing_state": listing.state, "listing_action": action},
        )
    listing.state = target
    listing.updated_at = utcnow()


async def update(db: AsyncSession, user: User, listing_id: int, data: ListingPatch) -> Listing:
    listing = await _owned(db, user, listing_id)
    if listing.state != ListingState.draft:
        raise Conflict(
            "Only a draft can be edited; this listing is %(listing_state)s.", params={"listing_state": listing.state}
        )
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "category_id" in changes:
        await categories.get_live(db, listing.market_id, changes["category_id"])
    if "target_groups" in changes:
        changes["target_groups"] = [g.value for g in data.target_groups]
    for field, value in changes.items():
        setattr(listing, field, value)
    if listing.mode == ServiceMode.offline and not listing.location:
        raise InvalidInput("An offline service needs a location.", field="location")
    await refresh_search_text(db, listing)
    return listing


async def submit(db: AsyncSession, user: User, listing_id: int) -> Listing:
    listing = await _owned(db, user, listing_id)
    if listing.shape != ListingShape.on_request:
        upcoming = await _upcoming_sessions_count(db, listing.id)
        if upcoming == 0:
            raise Conflict("Add at least one upcoming session or slot before submitting.")
    _move(listing, "submit")
    listing.rejection_reason = None
    return listing


async def _upcoming_sessions_count(db: AsyncSession, listing_id: int) -> int:
    return (
        await db.execute(
            sa.select(sa.func.count()).where(
                ListingSession.listing_id == listing_id,
                ListingSession.starts_at > sa.func.now(),
                ListingSession.cancelled_at.is_(None),
            )
        )
    ).scalar_one()


async def _batch_for(db: AsyncSession, curator: User, batch_id: int, listing: Listing | None = None) -> Batch:
    """A batch of the curator's subtree, and of the listing's market or a market above it (a province's 上新
    round may hold its districts' listings)."""
    batch = await db.get(Batch, batch_id)
    fits = batch is not None and await market_tree.reaches(db, curator, batch.market_id)
    if fits and listing is not None and batch.market_id != listing.market_id:
        fits = batch.market_id in await market_tree.ancestor_ids(db, listing.market_id)
    if not fits:
        raise InvalidInput("Unknown batch: %(id)s.", field="batch_id", params={"id": batch_id})
    return batch


async def approve(
    db: AsyncSession,
    curator: User,
    listing_id: int,
    batch_id: int,
    verified_only: bool | None = None,
    shared_below: bool | None = None,
) -> Listing:
    listing = await get_listing(db, listing_id, lock=True)
    if not await market_tree.reaches(db, curator, listing.market_id):
        raise NotFound("No such listing.")
    batch = await _batch_for(db, curator, batch_id, listing)
    too_far = sa.select(ListingSession.id).where(
        ListingSession.listing_id == listing.id,
        ListingSession.cancelled_at.is_(None),
        ListingSession.starts_at > utcnow() + HORIZON,
    )
    if (await db.execute(too_far.limit(1))).first() is not None:  # written before the input bounds
        raise Conflict(
            "A session of this listing starts more than two years ahead, so it cannot be published.", field="sessions"
        )
    _move(listing, "approve")
    listing.batch_id = batch.id
    listing.published_at = utcnow()
    if verified_only is not None:
        listing.verified_only = verified_only  # 实名制: the curator may ask it of the listing as it goes live
    if shared_below is not None:
        listing.shared_below = shared_below  # on the menus of every market below this one
    cache.menu_changed(db, listing.market_id)
    await audit.record(
        db,
        curator,
        "approve_listing",
        "listing",
        listing.id,
        batch_id=batch.id,
        verified_only=listing.verified_only,
        shared_below=listing.shared_below,
    )
    await notices.notify(
        db,
        listing.provider_id,
        listing.market_id,
        "listing_approved",
        msg("“%(title)s” is approved and listed", title=listing.title),
        msg("Published in “%(batch)s”: members can book it now.", batch=batch.name),
        {"listing_id": listing.id, "batch_id": batch.id},
    )
    await notices.tell_followers_of_new_listing(db, listing)
    return listing


async def approve_many(
    db: AsyncSession, curator: User, listing_ids: list[int], batch_id: int
) -> tuple[list[Listing], dict[int, MarketError]]:
    """Bulk approval, in the caller's one transaction: each listing approved (and audited) as `approve` does,
    in a savepoint of its own, so one that cannot be approved (no longer waiting, a session too far ahead)
    is reported and the others go ahead. Returns (approved, {listing id: why not})."""
    await _batch_for(db, curator, batch_id)
    approved: list[Listing] = []
    refused: dict[int, MarketError] = {}
    for listing_id in dict.fromkeys(listing_ids):  # each once, in the order given
        try:
            async with db.begin_nested():
                approved.append(await approve(db, curator, listing_id, batch_id))
        except MarketError as exc:
            refused[listing_id] = exc
    return approved, refused


async def titles(db: AsyncSession, market_ids: list[int], listing_ids: list[int]) -> dict[int, str]:
    if not listing_ids:
        return {}
    rows = await db.execute(
        sa.select(Listing.id, Listing.title).where(Listing.market_id.in_(market_ids), Listing.id.in_(listing_ids))
    )
    return dict(rows.all())


async def reject(db: AsyncSession, curator: User, listing_id: int, reason: str) -> Listing:
    listing = await get_listing(db, listing_id, lock=True)
    if not await market_tree.reaches(db, curator, listing.market_id):
        raise NotFound("No such listing.")
    _move(listing, "reject")
    listing.rejection_reason = reason
    await audit.record(db, curator, "reject_listing", "listing", listing.id, reason=reason)
    await notices.notify(
        db,
        listing.provider_id,
        listing.market_id,
        "listing_rejected",
        msg("“%(title)s” was not approved", title=listing.title),
        reason,
        {"listing_id": listing.id},
    )
    return listing


async def change_state(db: AsyncSession, user: User, listing_id: int, action: str) -> Listing:
    """pause, resume, close (owner or curator) and archive (curator)."""
    listing = await _owned(db, user, listing_id)
    if action == "archive" and not has_role(user, Role.curator):
        raise Forbidden("Only a curator archives listings.")
    _move(listing, action)
    cache.menu_changed(db, listing.market_id)
    if listing.provider_id != user.id:
        await audit.record(db, user, f"{action}_listing", "listing", listing.id)
    return listing


async def add_sessions(
    db: AsyncSession, user: User, listing_id: int, sessions: list[SessionIn], repeat_weeks: int = 1
) -> tuple[Listing, int, list[tuple[datetime, datetime]]]:
    """上新: new sessions of a listing, each repeated weekly for `repeat_weeks` weeks; a published listing
    tells its followers. Sessions overlapping another live session of the same provider (this listing or
    another) are skipped and returned; when all clash, nothing is added and the refusal says so.
    Returns (listing, how many were added, the skipped (start, end) pairs)."""
    listing = await _owned(db, user, listing_id)
    if listing.shape == ListingShape.on_request:
        raise Conflict("An on-request listing has no sessions.")
    if listing.state not in (ListingState.draft, ListingState.submitted, ListingState.published, ListingState.paused):
        raise Conflict(
            "This listing is %(listing_state)s; sessions cannot be added.", params={"listing_state": listing.state}
        )
    check_sessions(listing.shape, sessions, utcnow())
    wanted = weekly([(s.starts_at, s.ends_at, s.capacity) for s in sessions], repeat_weeks)
    kept, skipped = split_clashes(wanted, await _taken_times(db, listing.provider_id, wanted))
    if not kept:
        raise Conflict("Every one of these sessions clashes with a session you already hold.", field="sessions")
    too_far = utcnow() + HORIZON
    rows = _session_rows(
        listing, [SessionIn.model_construct(starts_at=s, ends_at=e, capacity=c) for s, e, c in kept if s <= too_far]
    )
    if not rows:
        raise InvalidInput("A session must start at most two years ahead.", field="sessions")
    db.add_all(rows)
    cache.menu_changed(db, listing.market_id)
    await db.flush()
    if listing.state == ListingState.published:
        await notices.tell_followers_of_new_sessions(db, listing, [r.id for r in rows])
    listing.updated_at = utcnow()
    return listing, len(rows), [(s, e) for s, e, _ in skipped]


async def _taken_times(db: AsyncSession, provider_id: int, wanted: list[tuple]) -> list[tuple[datetime, datetime]]:
    """The provider's live sessions (not called off, of a listing still open) around the wanted times."""
    if not wanted:
        return []
    low, high = min(t[0] for t in wanted), max(t[1] for t in wanted)
    rows = await db.execute(
        sa.select(ListingSession.starts_at, ListingSession.ends_at)
        .join(Listing, Listing.id == ListingSession.listing_id)
        .where(
            Listing.provider_id == provider_id,
            Listing.state.not_in([ListingState.closed, ListingState.archived]),
            ListingSession.cancelled_at.is_(None),
            ListingSession.starts_at < high,
            ListingSession.ends_at > low,
        )
    )
    return [(s, e) for s, e in rows.all()]


async def clone(db: AsyncSession, user: User, listing_id: int) -> Listing:
    """Relist into a new batch: a new draft copy; the original and its history stay as they were."""
    original = await _owned(db, user, listing_id)
    copy = Listing(
        market_id=original.market_id,
        provider_id=original.provider_id,
        category_id=original.category_id,
        title=original.title,
        summary=original.summary,
        description=original.description,
        shape=original.shape,
        mode=original.mode,
        location=original.location,
        target_groups=list(original.target_groups),
        auto_accept=original.auto_accept,
        verified_only=original.verified_only,
        search_text=original.search_text,
        cloned_from_id=original.id,
        state=ListingState.draft,
    )
    db.add(copy)
    await db.flush()
    pictures = await db.execute(sa.select(ListingPicture).where(ListingPicture.listing_id == original.id))
    db.add_all(  # the same files, named by their content, shared by both listings
        ListingPicture(**p.model_dump(exclude={"id", "listing_id", "created_at"}), listing_id=copy.id)
        for p in pictures.scalars()
    )
    return copy


async def cancel_session(db: AsyncSession, user: User, session_id: int, reason: str) -> ListingSession:
    """Call a session off: its live orders are cancelled and their members told, in this transaction."""
    session = await db.get(ListingSession, session_id, with_for_update=True)
    if session is None:
        raise NotFound("No such session.")
    listing = await _owned(db, user, session.listing_id)
    if session.cancelled_at is not None:
        return session
    if session.starts_at <= utcnow():
        raise Conflict("A session that has started cannot be called off.")
    # The event names who called it off: its provider, or a curator acting for the union.
    role = Actor.provider if listing.provider_id == user.id else Actor.curator
    when = service_time(session.starts_at, session.ends_at, {}, False)
    session.cancelled_at = utcnow()
    cache.menu_changed(db, listing.market_id)
    live = (
        await db.execute(
            sa.select(Order)
            .where(Order.session_id == session.id, Order.state.in_([s.value for s in CANCELLABLE]))
            .order_by(Order.id)
            .with_for_update()
        )
    ).scalars()
    for order in live:
        move(db, order, "session_cancelled", {role}, user, reason, when=when)
        order.holds_seat = False
        await close_offer(db, order, "withdrawn", "session cancelled")
        await drop_reminders(db, order)
        await notices.notify(
            db,
            order.member_id,
            order.market_id,
            "session_cancelled",
            msg("Session cancelled: %(title)s", title=listing.title),
            reason,
            {"order_id": order.id, "listing_id": listing.id},
            dedupe_key=f"order:{order.id}:session_cancelled",
        )
    session.seats_taken = 0
    return session


async def create_batch(db: AsyncSession, curator: User, data: BatchIn) -> BatchOut:
    batch = Batch(market_id=curator.market_id, name=data.name, created_by=curator.id)
    db.add(batch)
    await db.flush()
    await audit.record(db, curator, "create_batch", "batch", batch.id, name=data.name)
    return BatchOut(id=batch.id, name=batch.name, created_at=batch.created_at, listings=0)


# The desk's pages show every batch at once (a union makes a few a year).
ALL_BATCHES = 1000


async def list_batches(
    db: AsyncSession, market_ids: list[int], limit: int = ALL_BATCHES, offset: int = 0, name: str | None = None
) -> Page[BatchOut]:
    """The markets' batches (a curator's subtree), oldest first, each with how many listings it holds; those
    whose name has `name` in it when asked."""
    scope = [Batch.market_id.in_(market_ids)]
    if name:
        scope.append(Batch.name.icontains(name, autoescape=True))
    total = (await db.execute(sa.select(sa.func.count()).select_from(Batch).where(*scope))).scalar_one()
    counts = sa.select(Listing.batch_id, sa.func.count().label("n")).group_by(Listing.batch_id).subquery("counts")
    rows = (
        await db.execute(
            sa.select(Batch, sa.func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.batch_id == Batch.id)
            .where(*scope)
            .order_by(Batch.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    items = [BatchOut(id=b.id, name=b.name, created_at=b.created_at, listings=n) for b, n in rows]
    return Page[BatchOut](items=items, total=total)


async def share_below(db: AsyncSession, curator: User, listing_id: int, shared: bool) -> Listing:
    """A curator of the listing's market (or above it) puts it on, or takes it off, the menus of every market
    below the listing's market."""
    listing = await get_listing(db, listing_id, lock=True)
    if not await market_tree.reaches(db, curator, listing.market_id):
        raise NotFound("No such listing.")
    if listing.shared_below != shared:
        await audit.record(db, curator, "share_listing", "listing", listing.id, shared_below=shared)
        listing.shared_below = shared
        listing.updated_at = utcnow()
        cache.menu_changed(db, listing.market_id)  # and so the menus below it (cache.py)
    return listing
