"""The satisfaction survey after sign-off (满意度测评) and follow-up cases (回访), one transaction each."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..domain.satisfaction import (
    SURVEYED_STATES,
    Answers,
    CaseOutcome,
    CaseState,
    IllegalCaseMove,
    case_move,
    is_poor,
    overdue_in,
)
from ..errors import Conflict, InvalidInput, NotFound
from ..models import FollowUpCase, Order, Review, SatisfactionSurvey, User
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.satisfaction import CaseOut, SurveyIn, SurveyOut
from ..texts import msg
from . import audit, notices


def _survey_out(survey: SatisfactionSurvey, case_id: int | None) -> SurveyOut:
    return SurveyOut(**survey.model_dump(exclude={"market_id", "member_id"}), case_id=case_id)


async def survey_of(db: AsyncSession, member: User, order_id: int) -> tuple[Order, SurveyOut | None]:
    """The member's own order and the answers given about it, if any (404 for anyone else's order)."""
    order = await db.get(Order, order_id)
    if order is None or order.member_id != member.id:
        raise NotFound("No such order.")
    survey = await db.get(SatisfactionSurvey, order_id)
    if survey is None:
        return order, None
    case_id = (await db.execute(sa.select(FollowUpCase.id).where(FollowUpCase.order_id == order_id))).scalar()
    return order, _survey_out(survey, case_id)


async def answer(db: AsyncSession, member: User, order_id: int, data: SurveyIn) -> SurveyOut:
    """The member's answers about a signed-off order, once; a poor answer opens a follow-up case."""
    order = await db.get(Order, order_id, with_for_update=True)
    if order is None or order.member_id != member.id:
        raise NotFound("No such order.")
    if order.state not in SURVEYED_STATES:
        raise Conflict("The survey opens once you have signed the service off.", field="order_id")
    if await db.get(SatisfactionSurvey, order_id) is not None:
        raise Conflict("You have already answered the survey for this order.", field="order_id")
    survey = SatisfactionSurvey(order_id=order.id, market_id=order.market_id, member_id=member.id, **data.model_dump())
    db.add(survey)
    await db.flush()
    case_id = None
    if is_poor(Answers(data.overall, data.as_arranged, data.recommend)):
        case_id = await open_case(db, order)
    return _survey_out(survey, case_id)


async def open_case(db: AsyncSession, order: Order) -> int:
    """The order's follow-up case, opened now unless a poor answer (survey or review) opened it already."""
    opened = await db.execute(
        insert(FollowUpCase)
        .values(market_id=order.market_id, order_id=order.id, state=CaseState.open)
        .on_conflict_do_nothing(index_elements=["order_id"])
        .returning(FollowUpCase.id)
    )
    case_id = opened.scalar()
    if case_id is None:
        case_id = (await db.execute(sa.select(FollowUpCase.id).where(FollowUpCase.order_id == order.id))).scalar_one()
    return case_id


def _case_query(market_id: int):
    return (
        sa.select(FollowUpCase, SatisfactionSurvey, Review.stars, Order.title, User.name, User.phone)
        .outerjoin(SatisfactionSurvey, SatisfactionSurvey.order_id == FollowUpCase.order_id)
        .outerjoin(Review, Review.order_id == FollowUpCase.order_id)
        .join(Order, Order.id == FollowUpCase.order_id)
        .join(User, User.id == Order.member_id)
        .where(FollowUpCase.market_id == market_id)
    )


def _case_out(
    case: FollowUpCase, survey: SatisfactionSurvey | None, stars: int | None, title: str, name: str, phone: str
) -> CaseOut:
    return CaseOut(
        **case.model_dump(include=set(CaseOut.model_fields) & set(FollowUpCase.model_fields) - {"outcome"}),
        outcome=case.outcome or None,
        order_title=title,
        member_name=name,
        member_phone=mask_phone(phone),
        overall=survey.overall if survey else None,
        as_arranged=survey.as_arranged if survey else None,
        recommend=survey.recommend if survey else None,
        comment=survey.comment if survey else "",
        stars=stars,
    )


async def cases(
    db: AsyncSession, market_id: int, state: CaseState | None = None, limit: int = 50, offset: int = 0
) -> Page[CaseOut]:
    """Follow-up cases of the market, oldest open first (a state narrows them)."""
    query = _case_query(market_id)
    if state is not None:
        query = query.where(FollowUpCase.state == state)
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(FollowUpCase.opened_at, FollowUpCase.id).limit(limit).offset(offset))
    return Page(items=[_case_out(*row) for row in rows.all()], total=total)


async def move_case(
    db: AsyncSession, staff: User, case_id: int, action: str, note: str, outcome: CaseOutcome | None = None
) -> CaseOut:
    """An operator's step on a case (contact, then resolve with its outcome), with its note; audited."""
    case = await db.get(FollowUpCase, case_id, with_for_update=True)
    if case is None or case.market_id != staff.market_id:
        raise NotFound("No such case.")
    try:
        case.state = case_move(case.state, action)
    except IllegalCaseMove as exc:
        raise Conflict(exc.message, field="state", params=exc.params) from None
    if action == "resolve" and outcome is None:
        raise InvalidInput("Say what came of the case: choose an outcome.", field="outcome")
    now = utcnow()
    if action == "contact":
        case.contacted_at, case.contacted_by, case.contact_note = now, staff.id, note
    else:
        case.resolved_at, case.resolved_by, case.resolution, case.outcome = now, staff.id, note, outcome
    db.add(case)
    await db.flush()
    extra = {"outcome": outcome.value} if action == "resolve" else {}
    await audit.record(db, staff, f"{action}_case", "follow_up_case", case.id, note=note, **extra)
    row = (await db.execute(_case_query(staff.market_id).where(FollowUpCase.id == case.id))).one()
    return _case_out(*row)


# Overdue cases (the deadline scan) ---------------------------------------------------------------


def _limits(db: AsyncSession) -> tuple[timedelta, timedelta]:
    settings = settings_of(db)
    return timedelta(hours=settings.case_contact_hours), timedelta(hours=settings.case_resolve_hours)


async def due(db: AsyncSession, now: datetime) -> int:
    """For the deadline scan: queue `escalate_case` for each case overdue in its state and not yet escalated
    in it (once per case and state: the job's key)."""
    contact_within, resolve_within = _limits(db)
    overdue = sa.or_(
        sa.and_(FollowUpCase.state == CaseState.open, FollowUpCase.opened_at <= now - contact_within),
        sa.and_(FollowUpCase.state == CaseState.contacted, FollowUpCase.opened_at <= now - resolve_within),
    )
    rows = (
        await db.execute(
            sa.select(FollowUpCase.id, FollowUpCase.state)
            .where(overdue, FollowUpCase.escalated_in != FollowUpCase.state)
            .limit(1000)
        )
    ).all()
    await queue.enqueue_many(
        db,
        [
            ("escalate_case", {"case_id": cid, "now": now.isoformat()}, None, f"case:{cid}:escalate:{state}")
            for cid, state in rows
        ],
    )
    return len(rows)


async def escalate(db: AsyncSession, case_id: int, now: datetime | None = None) -> str:
    """Escalate an overdue case to the market's curators (a notice each), once per state: under the case's
    lock, a case moved on or escalated already is left alone."""
    now = now or utcnow()
    case = await db.get(FollowUpCase, case_id, with_for_update=True)
    if case is None:
        return "gone"
    state = overdue_in(case.state, case.opened_at, now, *_limits(db))
    if state is None or case.escalated_in == state:
        return "not overdue"
    case.escalated_at, case.escalated_in = now, state
    db.add(case)
    title = (await db.execute(sa.select(Order.title).where(Order.id == case.order_id))).scalar_one()
    curators = await db.execute(
        sa.select(User.id).where(
            User.market_id == case.market_id,
            User.is_active.is_(True),
            sa.literal(Role.curator.value) == sa.any_(User.roles),
        )
    )
    overdue = (
        msg("Follow-up case %(case_id)s is overdue: the member was not contacted in time.", case_id=case.id)
        if state == CaseState.open
        else msg("Follow-up case %(case_id)s is overdue: it was not resolved in time.", case_id=case.id)
    )
    await notices.notify_many(
        db,
        [
            notices.notice(
                curator_id,
                case.market_id,
                "case_overdue",
                overdue,
                msg("Order: %(title)s", title=title),
                {"case_id": case.id, "order_id": case.order_id},
                dedupe_key=f"case:{case.id}:overdue:{state}:{curator_id}",
            )
            for curator_id in curators.scalars()
        ],
    )
    return "escalated"
