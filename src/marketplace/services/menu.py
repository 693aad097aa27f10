"""The public menu: published listings with seats left, provider and rating, searched in PostgreSQL."""

import functools
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import search
from ..domain.listings import ListingShape, ListingState
from ..models import Category, Listing, ListingPicture, ListingSession, ProviderProfile, User
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


# What a card shows of its first picture (services/pictures.out).
_PICTURE = ("id", "name", "width", "height", "thumb_name", "thumb_width", "thumb_height")


def _cards(listing_ids):
    """The listings asked with what a card shows: category, provider, star level, honours, seats left, next
    start, first picture (one row each: the listing's columns, then those below). Each card's category by its
    key (LIMIT 1 keeps the planner from hashing every market's categories — 810 at 100× — for twenty cards), and
    its first picture in the same statement (not a query of its own per page). `listing_ids`: a list, or an
    expanding bind parameter (`_CARDS`)."""
    seats = _upcoming_seats(listing_ids)
    picture = (
        sa.select(*(getattr(ListingPicture, column) for column in _PICTURE))
        .where(ListingPicture.listing_id == Listing.id)
        .order_by(ListingPicture.position, ListingPicture.id)
        .limit(1)
        .lateral("picture")
    )
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
            *(picture.c[column].label(f"picture_{column}") for column in _PICTURE),
        )
        .select_from(Listing)
        .join(category, sa.true())
        .join(User, User.id == Listing.provider_id)
        .outerjoin(ProviderProfile, ProviderProfile.user_id == Listing.provider_id)
        .outerjoin(seats, seats.c.listing_id == Listing.id)
        .outerjoin(picture, sa.true())
        .where(Listing.id.in_(listing_ids))
    )


# Built once: every menu page asks it, and building and compiling this statement (its columns, the lateral
# category, the seats' subquery) per request cost more CPU than PostgreSQL spends running it.
_CARDS = _cards(sa.bindparam("ids", expanding=True))


def _card(row) -> dict:
    """A card from a row of `_cards`."""
    category = CategoryBrief(id=row.category_id, name_zh=row.category_name_zh, name_en=row.category_name_en)
    provider = SimpleNamespace(id=row.provider_id, name=row.provider_name)
    card = _summary(row, category, provider, row.star_level, row.honours, row.seats_left, row.next_session_at)
    if row.picture_id is None:
        return card | {"picture": None}
    first = SimpleNamespace(**{column: getattr(row, f"picture_{column}") for column in _PICTURE})
    return card | {"picture": pictures.out(first)}


def _statements(query, order_by, ordered=None, *, read_whole: bool = False) -> tuple:
    """(count, page, read_whole) for `query`, which selects the ids of the listings wanted (a select, or a union
    of disjoint ones), on the listings alone where it can (their index): the count counts them, the page orders
    them (of `ordered`, the same ids selected for their order, when given) and takes `:limit` from `:offset`.
    `read_whole`: the page's order needs every listing read anyway (a search's, titles first), so the page
    counts them too (one statement and one read of the matches instead of two)."""
    ordered = query if ordered is None else ordered
    if read_whole:
        ordered = ordered.add_columns(sa.func.count().over().label("total"))
    page = ordered.order_by(*order_by).limit(_bound("limit")).offset(_bound("offset"))
    return sa.select(sa.func.count()).select_from(query.subquery()), page, read_whole


def _bound(name: str):
    return sa.bindparam(name, type_=sa.Integer)


async def _page(db: AsyncSession, statements: tuple, values: dict, limit: int, offset: int) -> Page[ListingSummaryOut]:
    """One page of cards and the total, from `_statements` and their parameters; the cards' joins are made for
    that page only."""
    count, page, read_whole = statements
    values = values | {"limit": limit, "offset": offset}
    if read_whole:
        found = (await db.execute(page, values)).all()
        ids = [row[0] for row in found]
        total = found[0].total if found else (0 if offset == 0 else (await db.execute(count, values)).scalar_one())
    else:
        total = (await db.execute(count, values)).scalar_one()
        ids = list((await db.execute(page, values)).scalars())
    rows = {row.id: row for row in (await db.execute(_CARDS, {"ids": ids})).all()} if ids else {}
    items = [_card(rows[i]) for i in ids if i in rows]
    return Page[ListingSummaryOut](items=items, total=total)


def _pattern(term: str) -> str:
    """What the text is matched against for a term (domain/search.py): a Latin word whole (a regular
    expression; the term is letters and digits only), any other term anywhere (LIKE)."""
    if search.is_english_word(term):
        return f"(^|[^a-z0-9]){term}([^a-z0-9]|$)"
    return f"%{_escape_like(term)}%"


def _matches(text, word: bool, pattern, grams=None, needed=None):
    """Whether the text holds a term, given `_pattern(term)` (a value or a bound parameter) and whether the term
    is a Latin word. With the text's grams and the term's (`needed`), a Latin word is one of them (the grams hold
    every whole word, so no regular expression is needed) and a Chinese term's pairs narrow the listings down
    through their GIN index before LIKE reads the text."""
    if word:
        return grams.contains(needed) if grams is not None else text.regexp_match(pattern)
    exact = text.like(pattern, escape="\\")
    # the text first: where the planner reads every listing anyway, LIKE rules most out more cheaply than @>
    return sa.and_(exact, grams.contains(needed)) if needed and grams is not None else exact


def search_condition(terms: list[str], *, indexed: bool = True):
    """Listings whose text holds every term (search_text and its grams are lower-case, as the terms are)."""
    grams = Listing.search_grams if indexed else None
    return sa.and_(
        *(
            _matches(Listing.search_text, search.is_english_word(t), _pattern(t), grams, search.query_grams(t))
            for t in terms
        )
    )


def _needed_grams(terms: list[str]) -> list[str]:
    """The grams a listing must hold for every term (empty when no term has any, say "c++")."""
    return sorted({gram for term in terms for gram in search.query_grams(term)})


def _market_keys(keys):
    """The listings whose keys in the GIN index of `menu_search_grams` (migration 2026_11_30_menu_grams) hold
    all of `keys` (a bound parameter): those keys carry the market, a market's published listings under
    "<market>:<gram>", those shared below also under "<market>><gram>" (`_values`), so a menu's search reads only
    its own candidates, not every market's. It narrows; the text decides (`_matches`)."""
    grams = sa.func.menu_search_grams(
        Listing.market_id, Listing.state, Listing.shared_below, Listing.search_grams, type_=ARRAY(sa.Text)
    )
    return grams.contains(sa.cast(keys, ARRAY(sa.Text)))


@dataclass(frozen=True)
class _Shape:
    """What a menu statement's SQL depends on; every value is a bound parameter (`_values`), so each shape is
    built and compiled once (`_menu_statements`)."""

    above: int  # markets above the asked one: one part each
    words: tuple[bool, ...]  # per search term: a Latin word (else any text)
    keyed: bool  # some term has grams: each part is narrowed by its market's keys of the gram index
    filters: frozenset[str]  # the filters asked with a value: categories, mode, group, provider
    available: bool
    sort: str


def _menu_parts(shape: _Shape) -> list:
    """A market's menu as disjoint parts, each one index's range: its own published listings (`:market`), and
    for each market above it (`:above_1`, …), that market's published listings shared below (split so that each
    part is read in its index's order instead of all of them sorted: market_tree.menu_condition), each filtered
    as asked. Each search term's text must match (`:term_0`, …); with grams, each part is narrowed first by its
    market's keys of the gram index (`:keys_0`, …). Without (no term has any), the text alone decides."""
    published = Listing.state == ListingState.published
    parts = [(Listing.market_id == sa.bindparam("market"), published)]
    parts += [
        (Listing.market_id == sa.bindparam(f"above_{n}"), Listing.shared_below, published)
        for n in range(1, shape.above + 1)
    ]
    asked = {
        "categories": lambda: Listing.category_id.in_(sa.bindparam("categories", expanding=True)),
        "mode": lambda: Listing.mode == sa.bindparam("mode"),
        "group": lambda: sa.bindparam("group", type_=sa.String) == sa.any_(Listing.target_groups),
        "provider": lambda: Listing.provider_id == sa.bindparam("provider"),
    }
    where = [condition() for name, condition in asked.items() if name in shape.filters]
    if shape.available:  # a seat in an upcoming session: the last start with a seat free is ahead (kept exact)
        where.append(sa.or_(Listing.shape == ListingShape.on_request, Listing.seats_open_until > sa.func.now()))
    terms = [_matches(Listing.search_text, word, sa.bindparam(f"term_{n}")) for n, word in enumerate(shape.words)]
    found = []
    for n, conditions in enumerate(parts):
        query = sa.select(Listing.id).where(*conditions)
        if terms:
            query = query.where(sa.and_(*terms))
        if shape.keyed:
            query = query.where(_market_keys(sa.bindparam(f"keys_{n}", type_=ARRAY(sa.Text))))
        found.append(query.where(*where))
    return found


@functools.lru_cache(maxsize=256)
def _menu_statements(shape: _Shape) -> tuple:
    """The menu's statements for a shape (`_statements`), built once: building and cache-keying them per
    request (three markets' parts for a district) cost more CPU than PostgreSQL spends running them."""
    parts = _menu_parts(shape)
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)  # disjoint: the parts' markets differ
    # listings whose title has the first word come first
    title = sa.func.lower(Listing.title)
    first = (sa.case((_matches(title, shape.words[0], sa.bindparam("term_0")), 0), else_=1),) if shape.words else ()
    shown = _bound("shown")  # the page's offset and length: how far each part is read
    if shape.sort == "soon":
        ordered, order = _soonest(parts, first, shown)
        return _statements(query, order, ordered)
    keys = [(rank, _ascending) for rank in first]
    keys += {
        "new": [(Listing.published_at, _later_first), (Listing.id, _descending)],
        "rating": [(Listing.rating_score, _later_first), (Listing.id, _descending)],
    }[shape.sort]
    # a search's order (titles first) reads every match anyway: the parts whole, counted in the same statement
    ordered, order = _merged(parts, keys, None if shape.words else shown)
    return _statements(query, order, ordered, read_whole=bool(shape.words))


def _values(market_id: int, above: list[int], terms: list[str], needed: list[str]) -> dict:
    """The bound parameters of `_menu_parts` for one menu: its markets and search terms (`needed`: their grams)."""
    values = {"market": market_id, **{f"above_{n}": parent for n, parent in enumerate(above, 1)}}
    values |= {f"term_{n}": _pattern(term) for n, term in enumerate(terms)}
    keys = [f"{market_id}:", *(f"{parent}>" for parent in above)]  # own listings; what a market above shares
    return values | ({f"keys_{n}": [key + gram for gram in needed] for n, key in enumerate(keys)} if needed else {})


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
    needed = _needed_grams(terms)
    chosen = None
    if category_id is not None:
        chosen = await categories.subtree_ids(db, category_id)
        chosen += await market_tree.matching_categories(db, market_id, chosen)  # shared listings, by slug
    asked = {"categories": chosen, "mode": mode or None, "group": group or None, "provider": provider_id or None}
    asked = {name: value for name, value in asked.items() if value is not None}
    words = tuple(search.is_english_word(term) for term in terms)
    shape = _Shape(len(above), words, bool(needed), frozenset(asked), bool(available), sort)
    values = _values(market_id, above, terms, needed) | asked | {"shown": offset + limit}
    return await _page(db, _menu_statements(shape), values, limit, offset)


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
    return await _page(db, _statements(query, (Listing.id.desc(),)), {}, limit, offset)


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
    order = (Listing.updated_at.asc().nulls_first(), Listing.id)
    return await _page(db, _statements(query, order), {}, limit, offset)


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
