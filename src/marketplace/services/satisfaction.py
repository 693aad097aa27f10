"""The satisfaction survey after sign-off (满意度测评) and follow-up cases (回访), one transaction each."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.phones import mask_phone
from ..domain.satisfaction import SURVEYED_STATES, Answers, CaseState, IllegalCaseMove, case_move, is_poor
from ..errors import Conflict, NotFound
from ..models import FollowUpCase, Order, SatisfactionSurvey, User
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.satisfaction import CaseOut, SurveyIn, SurveyOut
from . import audit


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
    case_id = None
    if is_poor(Answers(data.overall, data.as_arranged, data.again)):
        case = FollowUpCase(market_id=order.market_id, order_id=order.id)
        db.add(case)
        await db.flush()
        case_id = case.id
    await db.flush()
    return _survey_out(survey, case_id)


def _case_query(market_id: int):
    return (
        sa.select(FollowUpCase, SatisfactionSurvey, Order.title, User.name, User.phone)
        .join(SatisfactionSurvey, SatisfactionSurvey.order_id == FollowUpCase.order_id)
        .join(Order, Order.id == FollowUpCase.order_id)
        .join(User, User.id == Order.member_id)
        .where(FollowUpCase.market_id == market_id)
    )


def _case_out(case: FollowUpCase, survey: SatisfactionSurvey, title: str, name: str, phone: str) -> CaseOut:
    return CaseOut(
        **case.model_dump(include=set(CaseOut.model_fields) & set(FollowUpCase.model_fields)),
        order_title=title,
        member_name=name,
        member_phone=mask_phone(phone),
        overall=survey.overall,
        as_arranged=survey.as_arranged,
        again=survey.again,
        comment=survey.comment,
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


async def move_case(db: AsyncSession, staff: User, case_id: int, action: str, note: str) -> CaseOut:
    """An operator's step on a case (contact, then resolve), with its note; audited."""
    case = await db.get(FollowUpCase, case_id, with_for_update=True)
    if case is None or case.market_id != staff.market_id:
        raise NotFound("No such case.")
    try:
        case.state = case_move(case.state, action)
    except IllegalCaseMove as exc:
        raise Conflict(exc.message, field="state", params=exc.params) from None
    now = utcnow()
    if action == "contact":
        case.contacted_at, case.contacted_by, case.contact_note = now, staff.id, note
    else:
        case.resolved_at, case.resolved_by, case.resolution = now, staff.id, note
    db.add(case)
    await db.flush()
    await audit.record(db, staff, f"{action}_case", "follow_up_case", case.id, note=note)
    row = (await db.execute(_case_query(staff.market_id).where(FollowUpCase.id == case.id))).one()
    return _case_out(*row)
