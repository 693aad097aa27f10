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
from ..domain.categories import domain_of
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
    SurveyNeed,
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


async def classify_unique(db: AsyncSession, market_id: int, texts: list[str]) -> list[Suggestion | None]:
    """As classify_texts, scoring a text that comes again (questionnaires repeat themselves) once."""
    if not texts:
        return []
    unique = list(dict.fromkeys(texts))
    found = dict(zip(unique, await classify_texts(db, market_id, unique), strict=True))
    return [found[t] for t in texts]


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
    version = await _teach(db, curator, category_id, need_text(order.title, order.description), order_id=order.id)
    await db.execute(
        sa.update(NeedClassification)
        .where(NeedClassification.order_id == order.id)
        .values(filed_at=utcnow(), filed_by=curator.id)
    )
    await audit.record(db, curator, "file_need", "order", order.id, category_id=category_id, previous=previous)
    if previous != category_id and order.state == OrderState.placed:
        await queue.enqueue(
            db,
            MATCH_NEEDS,
            {"market_id": order.market_id, "order_id": order.id},
            dedupe_key=f"order:{order.id}:match:{order.offer_attempts}:filed:{version}",
        )
    return Filed(order.id, category_id, previous)


@dataclass
class FiledAnswer:
    answer_id: int
    category_id: int
    previous_category_id: int | None


async def file_answer(db: AsyncSession, curator: User, answer_id: int, category_id: int) -> FiledAnswer:
    """A curator files (confirms or corrects) a questionnaire answer's category: the needs list and the
    gaps count it there, it leaves the review queue, and its text teaches the classifier as a filed need's
    does. Filing it again where it already is changes nothing (a double submit acts once)."""
    answer = await db.get(SurveyNeed, answer_id, with_for_update=True)
    if answer is None or answer.market_id != curator.market_id:
        raise NotFound("No such questionnaire answer.")
    category = await categories.get_live(db, curator.market_id, category_id)
    previous = answer.category_id
    if answer.filed_at is not None and previous == category_id:
        return FiledAnswer(answer.id, category_id, previous)
    answer.category_id, answer.domain_id = category_id, await _domain_of(db, category)
    answer.filed_at, answer.filed_by = utcnow(), curator.id
    await _teach(db, curator, category_id, answer.text, survey_need_id=answer.id)
    await audit.record(
        db, curator, "file_survey_answer", "survey_need", answer.id, category_id=category_id, previous=previous
    )
    return FiledAnswer(answer.id, category_id, previous)


async def _domain_of(db: AsyncSession, category: Category) -> int:
    if category.parent_id is None:
        return category.id
    parents = await db.execute(
        sa.select(Category.id, Category.parent_id).where(Category.market_id == category.market_id)
    )
    return domain_of(category.id, dict(parents.all()))


async def _teach(
    db: AsyncSession,
    curator: User,
    category_id: int,
    text: str,
    *,
    order_id: int | None = None,
    survey_need_id: int | None = None,
) -> int:
    """What a curator filed (a need or a questionnaire answer) counts for its category from now on, in every
    process (the classifier's version is bumped), and the worker scores the review queue again with it. Each
    need or answer gives one label: a correction replaces it. Returns the new version."""
    now = utcnow()
    source = NeedLabel.order_id if order_id is not None else NeedLabel.survey_need_id
    await db.execute(
        insert(NeedLabel)
        .values(
            market_id=curator.market_id,
            category_id=category_id,
            order_id=order_id,
            survey_need_id=survey_need_id,
            text=text,
            filed_by=curator.id,
        )
        .on_conflict_do_update(
            index_elements=[source],
            set_={"category_id": category_id, "text": text, "filed_by": curator.id, "created_at": now},
        )
    )
    version = await bump_version(db, curator.market_id)
    await queue.enqueue(
        db, RECLASSIFY_QUEUE, {"market_id": curator.market_id}, dedupe_key=f"classify:{curator.market_id}:{version}"
    )
    return version


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


@dataclass
class WaitingAnswer:
    """A questionnaire answer in the review queue: what the respondent wrote, what the classifier suggests."""

    answer_id: int
    text: str
    group: str
    district: str
    answered_at: object
    suggested_id: int
    confidence: float
    runner_up_id: int | None


def _answers_query(market_id: int, below: float):
    return sa.select(SurveyNeed).where(
        SurveyNeed.market_id == market_id,
        SurveyNeed.filed_at.is_(None),
        SurveyNeed.category_id.is_not(None),
        SurveyNeed.confidence < below,
    )


async def answers_queue(
    db: AsyncSession, market_id: int, limit: int = 20, offset: int = 0
) -> tuple[list[WaitingAnswer], int]:
    """Questionnaire answers the classifier was unsure of and no curator has filed yet, the least sure
    first, and how many there are."""
    query = _answers_query(market_id, settings_of(db).classify_review_below)
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await db.execute(query.order_by(SurveyNeed.confidence, SurveyNeed.id).limit(limit).offset(offset))
    ).scalars()
    waiting = [
        WaitingAnswer(a.id, a.text, a.group, a.district, a.answered_at, a.category_id, a.confidence, a.runner_up_id)
        for a in rows
    ]
    return waiting, total


async def reclassify_queue(db: AsyncSession, market_id: int) -> dict:
    """Score the review queue (needs and questionnaire answers no curator filed) again with what curators
    have filed since: those now above the threshold leave it. Idempotent: it only rewrites suggestions from
    the current evidence."""
    below = settings_of(db).classify_review_below
    rows = (await db.execute(_queue_query(market_id, below).with_for_update(of=NeedClassification))).all()
    found = await classify_unique(db, market_id, [need_text(o.title, o.description) for o, _ in rows])
    left = 0
    for (_, row), suggestion in zip(rows, found, strict=True):
        if suggestion is None:
            continue
        row.category_id, row.confidence = suggestion.category_id, suggestion.confidence
        row.runner_up_id = suggestion.runner_up_id
        left += suggestion.confidence >= below
    answers = (await db.execute(_answers_query(market_id, below).with_for_update())).scalars().all()
    found = await classify_unique(db, market_id, [a.text for a in answers])
    answers_left = 0
    for answer, suggestion in zip(answers, found, strict=True):
        if suggestion is None:
            continue
        answer.category_id, answer.domain_id = suggestion.category_id, suggestion.domain_id
        answer.confidence, answer.runner_up_id = suggestion.confidence, suggestion.runner_up_id
        answers_left += suggestion.confidence >= below
    return {"scored": len(rows), "left_queue": left, "answers_scored": len(answers), "answers_left_queue": answers_left}
