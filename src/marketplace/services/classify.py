"""Classifying free-text needs into the market's category tree, and curators filing them (each filing teaches).

The classifier (domain/classify.py) is built from what PostgreSQL holds for the market: the live tree's
names (and the colloquial vocabulary they call up), its providers' skills, its listings' texts and the needs
curators filed. Each process keeps one per market, keyed by a version read in one query: the classifier
version (bumped in the transaction that files a need) with the tree's size and newest category and listing,
so a filing, a new category or a newly published listing shows in every process at the next request. What
the version cannot see (a renamed category, a provider's new skills) shows within MAX_AGE_SECONDS.
"""

import asyncio
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain.classify import Classifier, Evidence, Source, Suggestion, vocabulary_evidence
from ..domain.listings import ListingState
from ..domain.orders import OrderKind, OrderState
from ..domain.segment import features
from ..errors import NotFound
from ..models import (
    Category,
    ClassifierVersion,
    Listing,
    NeedClassification,
    NeedLabel,
    Order,
    ProviderCategory,
    ProviderProfile,
    User,
)
from ..models.base import utcnow
from . import audit, categories, market_tree
from .matching import MATCH_NEEDS

MAX_AGE_SECONDS = 300.0
RECLASSIFY_QUEUE = "reclassify_needs"
# market id -> (version, built at (monotonic), classifier); one build at a time per market
_built: dict[int, tuple[tuple, float, Classifier]] = {}
_building: dict[int, asyncio.Lock] = {}


def need_text(title: str, description: str) -> str:
    return f"{title}\n{description}".strip()


async def _version(db: AsyncSession, market_id: int) -> tuple:
    """What the classifier depends on, in one query: the filings' version, the tree, the newest listing."""
    scalar = lambda column, where: sa.select(column).where(where).scalar_subquery()  # noqa: E731
    row = (
        await db.execute(
            sa.select(
                scalar(ClassifierVersion.version, ClassifierVersion.market_id == market_id),
                scalar(sa.func.count(Category.id), Category.market_id == market_id),
                scalar(sa.func.max(Category.created_at), Category.market_id == market_id),
                scalar(sa.func.max(Listing.published_at), Listing.market_id == market_id),
            )
        )
    ).one()
    return (market_id, *row)


async def _evidence(db: AsyncSession, market_id: int) -> tuple[dict[int, int | None], list[Evidence]]:
    tree = (
        await db.execute(
            sa.select(Category.id, Category.parent_id, Category.name_zh, Category.name_en).where(
                Category.market_id == market_id, Category.archived_at.is_(None)
            )
        )
    ).all()
    parents = {row.id: row.parent_id for row in tree}
    evidence = [Evidence(row.id, name, Source.name) for row in tree for name in (row.name_zh, row.name_en)]
    # the everyday words of the kinds of category the names call up (domain/category_vocabulary.py)
    evidence += vocabulary_evidence({row.id: [row.name_zh, row.name_en] for row in tree}, parents)
    # A skill counts for a category by the share of its providers who name it: a provider serving two
    # categories brings the other's skills too, and the share keeps those small.
    in_market = (
        sa.select(ProviderCategory.category_id, ProviderCategory.provider_id)
        .join(Category, Category.id == ProviderCategory.category_id)
        .where(Category.market_id == market_id)
        .subquery()
    )
    providers = (
        sa.select(in_market.c.category_id, sa.func.count().label("providers")).group_by(in_market.c.category_id)
    ).subquery()
    named = (
        sa.select(in_market.c.category_id, sa.func.unnest(ProviderProfile.skills).label("skill"))
        .join(ProviderProfile, ProviderProfile.user_id == in_market.c.provider_id)
        .subquery()
    )
    shares = (
        sa.select(named.c.category_id, named.c.skill, sa.func.count().label("n"), providers.c.providers)
        .join(providers, providers.c.category_id == named.c.category_id)
        .group_by(named.c.category_id, named.c.skill, providers.c.providers)
    )
    for row in (await db.execute(shares)).all():
        evidence.append(Evidence(row.category_id, row.skill, Source.skill, row.n / row.providers))
    listings = await db.execute(
        sa.select(Listing.category_id, Listing.title, Listing.summary, Listing.description).where(
            Listing.market_id == market_id, Listing.state != ListingState.draft
        )
    )
    for row in listings.all():
        evidence.append(Evidence(row.category_id, f"{row.title}\n{row.summary}\n{row.description}", Source.listing))
    labels = await db.execute(sa.select(NeedLabel.category_id, NeedLabel.text).where(NeedLabel.market_id == market_id))
    evidence += [Evidence(row.category_id, row.text, Source.need) for row in labels.all()]
    return parents, evidence


async def classifier_for(db: AsyncSession, market_id: int) -> Classifier:
    """The market's classifier: this process's copy while its version holds, else built anew."""
    version = await _version(db, market_id)
    known = _built.get(market_id)
    if known is not None and known[0] == version and time.monotonic() - known[1] < MAX_AGE_SECONDS:
        return known[2]
    async with _building.setdefault(market_id, asyncio.Lock()):
        known = _built.get(market_id)
        if known is not None and known[0] == version and time.monotonic() - known[1] < MAX_AGE_SECONDS:
            return known[2]
        parents, evidence = await _evidence(db, market_id)
        # segmenting every text takes a while: off the event loop
        classifier = await asyncio.to_thread(Classifier, parents, evidence, features)
        _built[market_id] = (version, time.monotonic(), classifier)
        return classifier


async def classify_texts(db: AsyncSession, market_id: int, texts: list[str]) -> list[Suggestion | None]:
    """A suggestion per text, in the order given (None only for a market without categories)."""
    classifier = await classifier_for(db, market_id)
    return await asyncio.to_thread(lambda: [classifier.classify(text) for text in texts])


async def classify_need(db: AsyncSession, order: Order) -> NeedClassification | None:
    """Classify a need as it is posted and keep the suggestion; a low confidence puts it in the review queue.
    Never refuses: a need without a suggestion is posted all the same."""
    found = (await classify_texts(db, order.market_id, [need_text(order.title, order.description)]))[0]
    if found is None:
        return None
    row = NeedClassification(
        order_id=order.id,
        market_id=order.market_id,
        category_id=found.category_id,
        confidence=found.confidence,
        runner_up_id=found.runner_up_id,
    )
    db.add(row)
    return row


@dataclass
class Filed:
    order_id: int
    category_id: int
    previous_category_id: int


async def file_need(db: AsyncSession, curator: User, order_id: int, category_id: int) -> Filed:
    """A curator files (confirms or corrects) a need's category. Its text counts for that category from
    now on, in every process; the need moves there (an open one is matched again); the review queue is
    scored again by the worker, with what this filing taught."""
    order = await db.get(Order, order_id, with_for_update=True)
    if order is None or order.kind != OrderKind.need or not await market_tree.reaches(db, curator, order.market_id):
        raise NotFound("No such need.")
    await categories.get_live(db, order.market_id, category_id)  # a category of the need's own market
    previous = order.category_id
    order.category_id = category_id
    now = utcnow()
    text = need_text(order.title, order.description)
    await db.execute(
        insert(NeedLabel)
        .values(market_id=order.market_id, category_id=category_id, order_id=order.id, text=text, filed_by=curator.id)
        .on_conflict_do_update(
            index_elements=[NeedLabel.order_id],
            set_={"category_id": category_id, "text": text, "filed_by": curator.id, "created_at": now},
        )
    )
    await db.execute(
        sa.update(NeedClassification)
        .where(NeedClassification.order_id == order.id)
        .values(filed_at=now, filed_by=curator.id)
    )
    version = await bump_version(db, order.market_id)
    await audit.record(db, curator, "file_need", "order", order.id, category_id=category_id, previous=previous)
    if previous != category_id and order.state == OrderState.placed:
        await queue.enqueue(
            db,
            MATCH_NEEDS,
            {"market_id": order.market_id, "order_id": order.id},
            dedupe_key=f"order:{order.id}:match:{order.offer_attempts}:filed:{version}",
        )
    await queue.enqueue(
        db, RECLASSIFY_QUEUE, {"market_id": order.market_id}, dedupe_key=f"classify:{order.market_id}:{version}"
    )
    return Filed(order.id, category_id, previous)


async def bump_version(db: AsyncSession, market_id: int) -> int:
    bumped = await db.execute(
        insert(ClassifierVersion)
        .values(market_id=market_id, version=1)
        .on_conflict_do_update(
            index_elements=[ClassifierVersion.market_id], set_={"version": ClassifierVersion.version + 1}
        )
        .returning(ClassifierVersion.version)
    )
    return bumped.scalar_one()


@dataclass
class Waiting:
    """A need in the review queue: what the member wrote and chose, what the classifier suggests."""

    order_id: int
    title: str
    description: str
    category_id: int
    state: str
    created_at: object
    suggested_id: int
    confidence: float
    runner_up_id: int | None


def _queue_query(market_id: int, below: float):
    return (
        sa.select(Order, NeedClassification)
        .join(NeedClassification, NeedClassification.order_id == Order.id)
        .where(
            NeedClassification.market_id == market_id,
            NeedClassification.filed_at.is_(None),
            NeedClassification.confidence < below,
        )
    )


async def review_queue(db: AsyncSession, market_id: int, limit: int = 50) -> tuple[list[Waiting], int]:
    """Needs the classifier was unsure of and no curator has filed yet, oldest first, and how many there are."""
    below = settings_of(db).classify_review_below
    query = _queue_query(market_id, below)
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await db.execute(query.order_by(Order.created_at, Order.id).limit(limit))).all()
    waiting = [
        Waiting(
            o.id,
            o.title,
            o.description,
            o.category_id,
            o.state,
            o.created_at,
            c.category_id,
            c.confidence,
            c.runner_up_id,
        )
        for o, c in rows
    ]
    return waiting, total


async def reclassify_queue(db: AsyncSession, market_id: int) -> dict:
    """Score the review queue again with what curators have filed since: needs now above the threshold
    leave it. Idempotent: it only rewrites suggestions from the current evidence."""
    below = settings_of(db).classify_review_below
    rows = (await db.execute(_queue_query(market_id, below).with_for_update(of=NeedClassification))).all()
    found = await classify_texts(db, market_id, [need_text(o.title, o.description) for o, _ in rows])
    left = 0
    for (_, row), suggestion in zip(rows, found, strict=True):
        if suggestion is None:
            continue
        row.category_id, row.confidence = suggestion.category_id, suggestion.confidence
        row.runner_up_id = suggestion.runner_up_id
        left += suggestion.confidence >= below
    return {"scored": len(rows), "left_queue": left}
