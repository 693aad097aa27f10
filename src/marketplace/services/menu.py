"""The public menu: published listings with seats left, provider and rating, searched in PostgreSQL."""

from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import search
from ..domain.listings import ListingShape, ListingState
from ..models import Category, Listing, ListingSession, ProviderProfile, User
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.listings import (
    CategoryBrief,
    ListingOut,
    ListingSummaryOut,
    ProviderBrief,
    RatingOut,
    SessionOut,
)
from . import categories, market_tree, pictures


def _upcoming_seats(listing_ids):
    """Per listing asked: free seats and the next start over upcoming, uncancelled sessions (the cards' exact
    figures, summed for one page of listings only)."""
    return (
        sa.select(
            ListingSession.listing_id.label("listing_id"),
            sa.func.sum(ListingSession.capacity - ListingSession.seats_taken).label("seats_left"),
            sa.func.min(ListingSession.starts_at).label("next_session_at"),
        )
        .where(
            ListingSession.listing_id.in_(listing_ids),
            ListingSession.starts_at > sa.func.now(),
            ListingSession.cancelled_at.is_(None),
        )
        .group_by(ListingSession.listing_id)
        .subquery("seats")
    )


def _computed_next_session():
    """A listing's next start computed from its sessions (for the few whose kept one has passed)."""
    return (
        sa.select(sa.func.min(ListingSession.starts_at))
        .where(
            ListingSession.listing_id == Listing.id,
            ListingSession.starts_at > sa.func.now(),
            ListingSession.cancelled_at.is_(None),
        )
        .scalar_subquery()
    )


def _soonest(parts: list, first: tuple, shown: int):
    """The parts' ids soonest first (after the `first` order keys), exact however late the worker's refresh is.
    In each part, the listings whose kept next start (`Listing.next_session_at`) is still ahead, or who have
    none, are read in their index's order, only as many as the page needs (`shown`: its offset and length); the
    few whose kept start has passed have theirs computed; all are sorted together. Returns (ids' query, order)."""
    kept, now = Listing.next_session_at, sa.func.now()
    ranks = [rank.label(f"rank_{n}") for n, rank in enumerate(first)]
    branches = []
    for query in parts:
        ahead = (
            query.where(sa.or_(kept > now, kept.is_(None)))
            .add_columns(*ranks, kept.label("soon"))
            .order_by(*first, kept.asc().nulls_last(), Listing.id.desc())
            .limit(shown)
        )
        passed = query.where(kept <= now).add_columns(*ranks, _computed_next_session().label("soon"))
        branches += [ahead, passed]
    menu = sa.union_all(*branches).subquery("menu")
    order = (*(menu.c[r.name] for r in ranks), menu.c.soon.asc().nulls_last(), menu.c.id.desc())
    return sa.select(menu.c.id), order


def _merged(parts: list, keys: list[tuple], shown: int | None):
    """The parts' ids in the order of `keys` ((expression, direction) pairs, the last one unique): each part
    read in that order only as far as the page needs (`shown`: its offset and length; None: whole), then the
    parts merged. One part: itself. Returns (ids' query, order)."""
    if len(parts) == 1:
        return parts[0], tuple(direction(expression) for expression, direction in keys)
    labelled = [expression.label(f"key_{n}") for n, (expression, _) in enumerate(keys)]
    in_order = [direction(expression) for expression, direction in keys]
    branches = [part.add_columns(*labelled).order_by(*in_order).limit(shown) for part in parts]
    menu = sa.union_all(*branches).subquery("menu")
    return sa.select(menu.c.id), tuple(direction(menu.c[f"key_{n}"]) for n, (_, direction) in enumerate(keys))


def _later_first(column):  # and no value last: the order of ix_listings_market_state_published
    return column.desc().nulls_last()


def _descending(column):
    return column.desc()


def _ascending(column):
    return column.asc()


# What a card shows of a listing, its category and its provider: named columns, not whole rows — a listing's
# description, search text and grams (a hundred array elements each) and a provider's account are not sent,
# decoded or made into objects for twenty cards.
_CARD_LISTING = (
    Listing.id,
    Listing.title,
    Listing.summary,
    Listing.shape,
    Listing.mode,
    Listing.location,
    Listing.target_groups,
    Listing.auto_accept,
    Listing.verified_only,
    Listing.shared_below,
    Listing.state,
    Listing.rating_avg,
    Listing.rating_count,
    Listing.rating_score,
    Listing.batch_id,
    Listing.published_at,
)


def _cards(listing_ids):
    """The listings asked with what a card shows: category, provider, star level, honours, seats left, next
    start (one row each: the listing's columns, then those below). Each card's category by its key (LIMIT 1
    keeps the planner from hashing every market's categories — 810 at 100× — for twenty cards). `listing_ids`:
    a list, or an expanding bind parameter (`_CARDS`)."""
    seats = _upcoming_seats(listing_ids)
    category = (
        sa.select(Category.id, Category.name_zh, Category.name_en)
        .where(Category.id == Listing.category_id)
        .limit(1)
        .lateral("category")
    )
    return (
        sa.select(
            *_CARD_LISTING,
            category.c.id.label("category_id"),
            category.c.name_zh.label("category_name_zh"),
            category.c.name_en.label("category_name_en"),
            User.name.label("provider_name"),
            Listing.provider_id,
            ProviderProfile.star_level,
            ProviderProfile.honours,
            seats.c.seats_left,
            seats.c.next_session_at,
        )
        .select_from(Listing)
        .join(category, sa.true())
        .join(User, User.id == Listing.provider_id)
        .outerjoin(ProviderProfile, ProviderProfile.user_id == Listing.provider_id)
        .outerjoin(seats, seats.c.listing_id == Listing.id)
        .where(Listing.id.in_(listing_ids))
    )


# Built once: every menu page asks it, and building and compiling this statement (its columns, the lateral
# category, the seats' subquery) per request cost more CPU than PostgreSQL spends running it.
_CARDS = _cards(sa.bindparam("ids", expanding=True))


def _card(row) -> dict:
    """A card from a row of `_cards`."""
    category = CategoryBrief(id=row.category_id, name_zh=row.category_name_zh, name_en=row.category_name_en)
    provider = SimpleNamespace(id=row.provider_id, name=row.provider_name)
    return _summary(row, category, provider, row.star_level, row.honours, row.seats_left, row.next_session_at)


async def _page(
    db: AsyncSession, query, order_by, limit: int, offset: int, ordered=None, *, read_whole: bool = False
) -> Page[ListingSummaryOut]:
    """`query` selects the ids of the listings wanted (a select, or a union of disjoint ones), on the listings
    alone where it can (their index): the total counts them and one page of them is ordered (of `ordered`, the
    same ids selected for their order, when given); the cards' joins are made for that page only. `read_whole`:
    the page's order needs every listing read anyway (a search's, titles first), so the same statement counts
    them (one statement and one read of the matches instead of two)."""
    ordered = query if ordered is None else ordered
    if read_whole:
        counted = ordered.add_columns(sa.func.count().over().label("total")).order_by(*order_by)
        found = (await db.execute(counted.limit(limit).offset(offset))).all()
        ids = [row[0] for row in found]
        total = found[0].total if found else (0 if offset == 0 else await _count(db, query))
    else:
        total = await _count(db, query)
        ids = list((await db.execute(ordered.order_by(*order_by).limit(limit).offset(offset))).scalars())
    rows = {row.id: row for row in (await db.execute(_CARDS, {"ids": ids})).all()} if ids else {}
    shown = await pictures.of_listings(db, ids)  # a card shows the first picture
    items = [_card(rows[i]) | {"picture": (shown.get(i) or [None])[0]} for i in ids if i in rows]
    return Page[ListingSummaryOut](items=items, total=total)


async def _count(db: AsyncSession, query) -> int:
    return (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()


def _matches(text, term: str, grams=None):
    """Whether the term is in the text (domain/search.py). With the text's grams, a Latin word is one of them
    (the grams hold every whole word, so no regular expression is needed) and a Chinese term's pairs narrow the
    listings down through their GIN index before LIKE reads the text."""
    if search.is_english_word(term):
        if grams is not None:
            return grams.contains([term])
        return text.regexp_match(f"(^|[^a-z0-9]){term}([^a-z0-9]|$)")
    exact = text.like(f"%{_escape_like(term)}%", escape="\\")
    needed = search.query_grams(term)
    # the text first: where the planner reads every listing anyway, LIKE rules most out more cheaply than @>
    return sa.and_(exact, grams.contains(needed)) if needed and grams is not None else exact


def search_condition(terms: list[str], *, indexed: bool = True):
    """Listings whose text holds every term (search_text and its grams are lower-case, as the terms are)."""
    grams = Listing.search_grams if indexed else None
    return sa.and_(*(_matches(Listing.search_text, term, grams) for term in terms))


def menu_grams(key: str, terms: list[str]):
    """The listings whose grams hold every term's, through the GIN index of `menu_search_grams` (migration
    2026_11_30_menu_grams), whose keys carry the market: a market's published listings under "<market>:<gram>"
    (`key` "12:"), those shared below also under "<market>><gram>" (`key` "12>"). A menu's search then reads
    only its own candidates, not every market's. None when no term has grams. It narrows; the text decides
    (`search_condition`)."""
    needed = sorted({gram for term in terms for gram in search.query_grams(term)})
    if not needed:
        return None
    keys = sa.func.menu_search_grams(
        Listing.market_id, Listing.state, Listing.shared_below, Listing.search_grams, type_=ARRAY(sa.Text)
    )
    return keys.contains(sa.cast([key + gram for gram in needed], ARRAY(sa.Text)))


def _menu_parts(market_id: int, above: list[int], terms: list[str]) -> list:
    """A market's menu as disjoint parts, each one index's range: its own published listings, and for each
    market above it, that market's published listings shared below (market_tree.menu_condition, split so that
    each part is read in its index's order instead of all of them sorted). With search terms, each part is
    narrowed by its market's keys of the gram index (its own: "12:", a market above: its shared, "3>")."""
    published = Listing.state == ListingState.published
    parts = [(f"{market_id}:", (Listing.market_id == market_id, published))]
    parts += [(f"{parent}>", (Listing.market_id == parent, Listing.shared_below, published)) for parent in above]
    found = []
    for key, conditions in parts:
        query = sa.select(Listing.id).where(*conditions)
        if terms:  # the text decides; without the market's keys (no term has grams), the grams' own index narrows
            narrowed = menu_grams(key, terms)
            query = query.where(search_condition(terms, indexed=narrowed is None))
            query = query.where(narrowed) if narrowed is not None else query
        found.append(query)
    return found


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def browse(
    db: AsyncSession,
    market_id: int,
    *,
    category_id: int | None = None,
    q: str | None = None,
    mode: str | None = None,
    group: str | None = None,
    available: bool | None = None,
    provider_id: int | None = None,
    sort: str = "new",
    limit: int = 20,
    offset: int = 0,
) -> Page[ListingSummaryOut]:
    above = await market_tree.menu_markets(db, market_id)  # what the markets above share below is on it too
    terms = search.terms(q or "")
    where = []
    if category_id is not None:
        chosen = await categories.subtree_ids(db, category_id)
        chosen += await market_tree.matching_categories(db, market_id, chosen)  # shared listings, by slug
        where.append(Listing.category_id.in_(chosen))
    if mode:
        where.append(Listing.mode == mode)
    if group:
        where.append(sa.literal(group) == sa.any_(Listing.target_groups))
    if provider_id:
        where.append(Listing.provider_id == provider_id)
    if available:  # a seat in an upcoming session: the last start with a seat free is ahead (kept exact)
        where.append(sa.or_(Listing.shape == ListingShape.on_request, Listing.seats_open_until > sa.func.now()))
    parts = [part.where(*where) for part in _menu_parts(market_id, above, terms)]
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)  # disjoint: the parts' markets differ
    # listings whose title has the first word come first
    first = (sa.case((_matches(sa.func.lower(Listing.title), terms[0]), 0), else_=1),) if terms else ()
    if sort == "soon":
        ordered, order = _soonest(parts, first, offset + limit)
        return await _page(db, query, order, limit, offset, ordered)
    keys = [(rank, _ascending) for rank in first]
    keys += {
        "new": [(Listing.published_at, _later_first), (Listing.id, _descending)],
        "rating": [(Listing.rating_score, _later_first), (Listing.id, _descending)],
    }[sort]
    # a search's order (titles first) reads every match anyway: the parts whole, counted in the same statement
    ordered, order = _merged(parts, keys, None if terms else offset + limit)
    return await _page(db, query, order, limit, offset, ordered, read_whole=bool(terms))


def _summary(listing, category, provider, star_level, honours, seats_left, next_session_at) -> dict:
    on_request = listing.shape == ListingShape.on_request
    left = None if on_request else int(seats_left or 0)
    return dict(
        id=listing.id,
        title=listing.title,
        summary=listing.summary,
        category=CategoryBrief.model_validate(category),
        shape=listing.shape,
        mode=listing.mode,
        location=listing.location,
        target_groups=listing.target_groups,
        auto_accept=listing.auto_accept,
        verified_only=listing.verified_only,
        shared_below=listing.shared_below,
        state=listing.state,
        provider=ProviderBrief(id=provider.id, name=provider.name, honours=honours or [], star_level=star_level or 0),
        rating=RatingOut(average=listing.rating_avg, count=listing.rating_count, score=listing.rating_score),
        seats_left=left,
        next_session_at=next_session_at,
        sold_out=(not on_request) and not left,
        batch_id=listing.batch_id,
        published_at=listing.published_at,
    )


async def detail(db: AsyncSession, listing: Listing) -> ListingOut:
    category = await db.get(Category, listing.category_id)
    provider = await db.get(User, listing.provider_id)
    profile = await db.get(ProviderProfile, listing.provider_id)
    sessions = (
        (
            await db.execute(
                sa.select(ListingSession)
                .where(ListingSession.listing_id == listing.id)
                .order_by(ListingSession.starts_at, ListingSession.id)
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    upcoming = [s for s in sessions if s.starts_at > now and s.cancelled_at is None]
    summary = _summary(
        listing,
        category,
        provider,
        profile.star_level if profile else 0,
        profile.honours if profile else [],
        sum(s.capacity - s.seats_taken for s in upcoming),
        min((s.starts_at for s in upcoming), default=None),
    )
    shown = (await pictures.of_listings(db, [listing.id])).get(listing.id, [])
    return ListingOut(
        **summary | {"picture": shown[0] if shown else None},
        pictures=shown,
        description=listing.description,
        rejection_reason=listing.rejection_reason,
        created_at=listing.created_at,
        sessions=[
            SessionOut(
                id=s.id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
                seats_taken=s.seats_taken,
                seats_left=0 if s.cancelled_at else s.capacity - s.seats_taken,
                waitlist_open=s.waitlist_open,
                cancelled=s.cancelled_at is not None,
            )
            for s in sessions
        ],
    )


async def mine(db: AsyncSession, provider: User, state: str | None, limit: int, offset: int) -> Page[ListingSummaryOut]:
    """A provider's own listings in every state (the console)."""
    query = sa.select(Listing.id).where(Listing.provider_id == provider.id)
    if state:
        query = query.where(Listing.state == state)
    return await _page(db, query, (Listing.id.desc(),), limit, offset)


async def waiting_for_approval(
    db: AsyncSession,
    market_ids: list[int],
    limit: int,
    offset: int,
    category_id: int | None = None,
    provider_id: int | None = None,
) -> Page[ListingSummaryOut]:
    """Listings submitted for approval in these markets (a curator's subtree), the longest waiting first; of a
    category (and those below it) and of a provider when asked."""
    waiting = (Listing.market_id.in_(market_ids), Listing.state == ListingState.submitted)
    query = sa.select(Listing.id).where(*waiting)
    if category_id is not None:
        query = query.where(Listing.category_id.in_(await categories.subtree_ids(db, category_id)))
    if provider_id is not None:
        query = query.where(Listing.provider_id == provider_id)
    return await _page(db, query, (Listing.updated_at.asc().nulls_first(), Listing.id), limit, offset)


async def waiting_providers(db: AsyncSession, market_ids: list[int]) -> list[tuple[int, str]]:
    """The providers with listings waiting for approval (id, name), by name: the approvals' filter."""
    rows = await db.execute(
        sa.select(User.id, User.name)
        .where(
            User.id.in_(
                sa.select(Listing.provider_id).where(
                    Listing.market_id.in_(market_ids), Listing.state == ListingState.submitted
                )
            )
        )
        .order_by(User.name, User.id)
    )
    return [(uid, name) for uid, name in rows.all()]
