"""A member's personal data under PIPL: staff see a phone only with a stated reason (audited); a member
downloads everything the market holds about them, and deletes their account — their orders stay in the
union's figures, anonymised."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import hash_password, verify_password
from ..domain.orders import LIVE_STATES
from ..domain.roles import Role
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..models import (
    Campaign,
    CampaignOffer,
    LoginSession,
    Notification,
    Order,
    OrderEvent,
    OrderMessage,
    ProviderProfile,
    Review,
    SatisfactionSurvey,
    User,
    VerificationRequest,
)
from ..models.base import any_age, hot, utcnow
from ..settings import Settings
from . import audit, login_sessions, market_tree

DELETED_NAME = "已注销用户"


async def reveal_phone(db: AsyncSession, staff: User, user_id: int, reason: str) -> str:
    """The whole number, for staff who need to call, with the reason kept in the audit trail."""
    user = await db.get(User, user_id)
    if user is None or not await market_tree.reaches(db, staff, user.market_id):
        raise NotFound("No such user.")
    await audit.record(db, staff, "reveal_phone", "user", user.id, reason=reason)
    return user.phone


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export(db: AsyncSession, user: User) -> dict:
    """Everything the market holds about this person, as JSON (their own data: nobody else's)."""
    orders = (
        (await db.execute(sa.select(Order).where(Order.member_id == user.id, any_age(Order)).order_by(Order.id)))
        .scalars()
        .all()
    )
    events = (
        await db.execute(
            sa.select(OrderEvent)
            .where(OrderEvent.order_id.in_([o.id for o in orders]))
            # id breaks ties of `at` (an order's placement writes two events at one instant): the rows' order on
            # disk is no longer the ids' once the archive job has moved them to their partition
            .order_by(OrderEvent.order_id, OrderEvent.at, OrderEvent.id)
        )
    ).scalars()
    by_order: dict[int, list] = {}
    for e in events:
        by_order.setdefault(e.order_id, []).append(
            {"at": _iso(e.at), "action": e.action, "from": e.from_state, "to": e.to_state, "reason": e.reason}
        )
    reviews = (await db.execute(sa.select(Review).where(Review.member_id == user.id))).scalars().all()
    answers = await db.execute(sa.select(SatisfactionSurvey).where(SatisfactionSurvey.member_id == user.id))
    every_notice = sa.select(Notification).where(Notification.user_id == user.id, any_age(Notification))
    notices = (await db.execute(every_notice)).scalars().all()
    written = (
        (await db.execute(sa.select(OrderMessage).where(OrderMessage.author_id == user.id).order_by(OrderMessage.id)))
        .scalars()
        .all()
    )
    sessions = (await db.execute(sa.select(LoginSession).where(LoginSession.user_id == user.id))).scalars().all()
    asked = await db.execute(
        sa.select(VerificationRequest).where(VerificationRequest.user_id == user.id).order_by(VerificationRequest.id)
    )
    profile = await db.get(ProviderProfile, user.id)
    offered = (
        await db.execute(
            sa.select(CampaignOffer, Campaign.title)
            .join(Campaign, Campaign.id == CampaignOffer.campaign_id)
            .where(CampaignOffer.member_id == user.id)
            .order_by(CampaignOffer.id)
        )
    ).all()
    return {
        "account": {
            "id": user.id,
            "name": user.name,
            "phone": user.phone,
            "roles": user.roles,
            "groups": user.groups,
            "claimed_groups": user.claimed_groups,
            "verified_at": _iso(user.verified_at),
            "union_card": user.union_card,
            "language": user.language,
            "created_at": _iso(user.created_at),
        },
        "verification_requests": [
            {
                "union_card": r.union_card,
                "workplace": r.workplace,
                "groups": r.groups,
                "note": r.note,
                "state": r.state,
                "reason": r.reason,
                "created_at": _iso(r.created_at),
                "decided_at": _iso(r.decided_at),
            }
            for r in asked.scalars()
        ],
        "provider_profile": None
        if profile is None
        else {"bio": profile.bio, "honours": profile.honours, "skills": profile.skills, "area": profile.area},
        "orders": [
            {
                "id": o.id,
                "kind": o.kind,
                "state": o.state,
                "title": o.title,
                "description": o.description,
                "note": o.note,
                "preferred_times": o.preferred_times,
                "arrangement": o.arrangement,
                "created_at": _iso(o.created_at),
                "events": by_order.get(o.id, []),
            }
            for o in orders
        ],
        "reviews": [
            {"order_id": r.order_id, "stars": r.stars, "tags": r.tags, "text": r.text, "at": _iso(r.created_at)}
            for r in reviews
        ],
        # 满意度测评: the member's answers after sign-off
        "satisfaction_surveys": [
            {
                "order_id": a.order_id,
                "overall": a.overall,
                "as_arranged": a.as_arranged,
                "recommend": a.recommend,
                "comment": a.comment,
                "at": _iso(a.created_at),
            }
            for a in answers.scalars()
        ],
        "messages": [{"order_id": m.order_id, "body": m.body, "at": _iso(m.created_at)} for m in written],
        "notices": [{"kind": n.kind, "title": n.title, "body": n.body, "at": _iso(n.created_at)} for n in notices],
        # 免申即享: places offered without applying, and the answers
        "proactive_offers": [
            {
                "campaign": title,
                "state": o.state,
                "groups": o.groups,
                "offered_at": _iso(o.created_at),
                "answered_at": _iso(o.answered_at),
                "order_id": o.order_id,
                "redeem_code": o.redeem_code,
            }
            for o, title in offered
        ],
        "login_sessions": [
            {"user_agent": s.user_agent, "created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at)}
            for s in sessions
        ],
    }


async def delete_account(db: AsyncSession, settings: Settings, user: User, password: str) -> None:
    """Anonymise the account: no name, no phone, no way to log in; orders and reviews stay for the union's
    figures under "已注销用户". Refused while an order is live (a provider or a seat is waiting on it)."""
    if not verify_password(settings, user.password_hash, password):
        raise InvalidInput("The password is not right.", field="password")
    if set(user.roles) & {Role.curator.value, Role.operator.value}:
        raise Forbidden("Union staff accounts are closed by a curator, not deleted.")
    live = await db.execute(
        # a live order is never archived: the hot index answers
        sa.select(Order.id).where(Order.member_id == user.id, hot(Order), Order.state.in_(sorted(LIVE_STATES))).limit(1)
    )
    if live.first() is not None:
        raise Conflict("Cancel or finish your live orders first.")
    user.name = DELETED_NAME
    user.phone = f"d{user.id}"  # unique, and never a mobile number anyone can log in with
    user.password_hash = hash_password(settings, secrets.token_urlsafe(32))
    user.groups, user.claimed_groups, user.language = [], [], None
    user.union_card, user.verified_at, user.verified_source = None, None, None
    # what the member told the union to be verified (the union's own roster stays the union's)
    await db.execute(
        sa.update(VerificationRequest)
        .where(VerificationRequest.user_id == user.id)
        .values(
            union_card="",
            workplace="",
            note="",
            groups=[],
            state=sa.case((VerificationRequest.state == "pending", "closed"), else_=VerificationRequest.state),
        )
    )
    user.is_active = False
    user.updated_at = utcnow()
    db.add(user)
    await db.execute(sa.update(Review).where(Review.member_id == user.id).values(text="", tags=[]))
    # the survey's marks stay in the union's figures, the member's own words go
    await db.execute(sa.update(SatisfactionSurvey).where(SatisfactionSurvey.member_id == user.id).values(comment=""))
    await db.execute(sa.delete(Notification).where(Notification.user_id == user.id, any_age(Notification)))
    await db.execute(sa.update(OrderMessage).where(OrderMessage.author_id == user.id).values(body=""))
    await login_sessions.revoke_all(db, user.id)
