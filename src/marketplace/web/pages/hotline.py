"""The hotline desk (12351): open a caller's record, order, cancel or post a need for them, end the call with
its topic and outcome; and the call log, calls to return first."""

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from ...domain.orders import LIVE_STATES
from ...domain.periods import DEFAULT_PERIOD, PERIODS, period_start
from ...domain.roles import Role
from ...errors import InvalidInput
from ...models import Order, User
from ...models.base import hot, utcnow
from ...schemas.orders import OrderIn
from ...services import categories, hotline, menu
from ..common import Db, IdParam
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    attempt,
    chosen,
    flat_categories,
    form_of,
    kept,
    need,
    page,
    page_of,
    refusal,
    search_box,
    validate,
)
from .desk import PERIOD_NAMES
from .once import once

PAGE_SIZE = 30


def _text(values: dict, name: str, limit: int) -> str:
    return str(values.get(name, "") or "")[:limit]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidInput("Give the day as YYYY-MM-DD.", field="follow_up_on") from None


class HotlinePages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/desk/hotline")
    async def desk(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.operator, Role.curator)
        return await _desk_page(request, db, user)

    @post("/desk/hotline")
    async def open_call(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        values = await form_of(request)
        phone, card = _text(values, "phone", 20).strip(), _text(values, "card", 30).strip()
        reason = _text(values, "reason", 300).strip()

        async def lookup() -> str:
            if not reason:
                raise InvalidInput("Say why you open this member's record.", field="reason")
            call = await hotline.open_call(db, user, reason, phone or None, card or None)
            return f"/desk/hotline/{call.id}"

        location, exc = await attempt(db, lambda: once(request, db, user, lookup))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc, "phone")
        return await _desk_page(request, db, user, status, errors=errors, values=values)

    @post("/desk/hotline/log")
    async def log_call(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        values = await form_of(request)

        async def log() -> str:
            await hotline.log_call(
                db,
                user,
                _text(values, "topic", 20),
                _text(values, "outcome", 20),
                _text(values, "note", 1000),
                _day(_text(values, "follow_up_on", 10)),
            )
            return "/desk/hotline?ok=call_logged"

        location, exc = await attempt(db, lambda: once(request, db, user, log))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc, "topic")
        return await _desk_page(request, db, user, status, errors=errors, log_values=values)

    @get("/desk/hotline/{call_id:int}")
    async def call(self, request: Request, call_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.operator, Role.curator)
        return await _call_page(request, db, user, call_id)

    @post("/desk/hotline/{call_id:int}/order")
    async def order(self, request: Request, call_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        values = await form_of(request)
        listing_id = _text(values, "listing_id", 12)

        async def place() -> str:
            if not listing_id.isdigit():
                raise InvalidInput("Choose a service.", field="listing_id")
            await hotline.order_for(db, user, call_id, int(listing_id), None, _text(values, "note", 1000))
            return f"/desk/hotline/{call_id}?ok=ordered_for_member"

        return await _act(request, db, user, call_id, place, "listing_id")

    @post("/desk/hotline/{call_id:int}/orders/{order_id:int}/cancel")
    async def cancel(
        self, request: Request, call_id: IdParam, order_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        values = await form_of(request)

        async def cancel_it() -> str:
            reason = _text(values, f"{order_id}.reason", 1000).strip()
            if not reason:
                raise InvalidInput("Say why the member cancels.", field="reason")
            await hotline.cancel_for(db, user, call_id, order_id, reason)
            return f"/desk/hotline/{call_id}?ok=cancelled_for_member"

        return await _act(request, db, user, call_id, cancel_it, "reason", prefix=f"{order_id}.")

    @post("/desk/hotline/{call_id:int}/need")
    async def post_need(self, request: Request, call_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        values = await form_of(request)
        data, errors = validate(
            request,
            OrderIn,
            {"category_id": values.get("category_id") or None, "title": _text(values, "title", 120)},
        )
        if data is None:
            return await _call_page(request, db, user, call_id, 400, errors=errors, values=values)

        async def post_it() -> str:
            await hotline.need_for(db, user, call_id, data)
            return f"/desk/hotline/{call_id}?ok=need_for_member"

        return await _act(request, db, user, call_id, post_it, "category_id", values)

    @post("/desk/hotline/{call_id:int}/end")
    async def end(self, request: Request, call_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        values = await form_of(request)

        async def end_it() -> str:
            await hotline.end_call(
                db,
                user,
                call_id,
                _text(values, "topic", 20),
                _text(values, "outcome", 20),
                _text(values, "note", 1000),
                _day(_text(values, "follow_up_on", 10)),
            )
            return "/desk/hotline?ok=call_ended"

        return await _act(request, db, user, call_id, end_it, "topic", values)


async def _act(request, db, user, call_id: int, work, field: str, values=None, prefix: str = "") -> Template | Redirect:
    location, exc = await attempt(db, lambda: once(request, db, user, work))
    if exc is None:
        return Redirect(location, status_code=303)
    status, errors = refusal(request, exc, field)
    errors = {f"{prefix}{k}": v for k, v in errors.items()}  # one order's form among several
    return await _call_page(request, db, user, call_id, status, errors=errors, values=values or {})


async def _desk_page(request: Request, db, user: User, status: int = 200, **context) -> Template:
    number = page_of(request)
    # The log's filters as the form sends them: an empty or unknown value is no filter.
    filters = {
        "outcome": chosen(request, "outcome", {"open", *hotline.OUTCOMES}),
        "topic": chosen(request, "topic", hotline.TOPICS),
        "period": chosen(request, "period", PERIODS),
    }
    since = period_start(filters["period"] or DEFAULT_PERIOD, utcnow(), ZoneInfo(request.app.state.settings.time_zone))
    found, total = await hotline.calls(
        db,
        user.market_id,
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
        outcome=filters["outcome"] or None,
        topic=filters["topic"] or None,
        since=since,
    )
    members = {
        u.id: u
        for u in (
            await db.execute(sa.select(User).where(User.id.in_({c.member_id for c in found if c.member_id})))
        ).scalars()
    }
    return page(
        request,
        "desk/hotline.html",
        user,
        status,
        calls=found,
        found={"total": total},
        page_number=number,
        size=PAGE_SIZE,
        members=members,
        topics=hotline.TOPICS,
        outcomes=hotline.OUTCOMES,
        filters=filters,
        query=kept(filters),
        periods=PERIOD_NAMES,
        **{"errors": {}, "values": {}, "log_values": {}, **context},
    )


async def _call_page(request: Request, db, user: User, call_id: int, status: int = 200, **context) -> Template:
    call = await hotline.call_of(db, user, call_id)
    member = await db.get(User, call.member_id) if call.member_id else None
    live = []
    if member is not None:
        live = list(
            (
                await db.execute(
                    sa.select(Order)
                    .where(Order.member_id == member.id, hot(Order), Order.state.in_(sorted(LIVE_STATES)))
                    .order_by(Order.created_at.desc())
                    .limit(20)
                )
            ).scalars()
        )
    q = search_box(request, "q", 60)
    results = (await menu.browse(db, user.market_id, q=q, available=True, limit=10)).items if q else None
    tree = await categories.tree(db, user.market_id)
    return page(
        request,
        "desk/hotline_call.html",
        user,
        status,
        call=call,
        member=member,
        live=live,
        q=q,
        results=results,
        categories=flat_categories(tree.items),
        topics=hotline.TOPICS,
        outcomes=hotline.OUTCOMES,
        **{"errors": {}, "values": {}, **context},
    )
