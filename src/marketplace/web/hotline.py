"""The union hotline (12351): operators find a caller's record and act on their behalf."""

from typing import Literal
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from ..auth import for_roles
from ..domain.periods import DEFAULT_PERIOD, period_start
from ..domain.roles import Role
from ..models import HotlineCall, User
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.hotline import (
    CallCancelIn,
    CallEndIn,
    CallerOut,
    CallLogIn,
    CallNeedIn,
    CallOrderIn,
    CallOut,
    LookupIn,
    Outcome,
    Topic,
)
from ..schemas.orders import OrderOut
from ..services import hotline, order_views
from .common import CurrentUser, Db, IdParam, Limit, Offset
from .insights import Period

STAFF = for_roles(Role.operator, Role.curator)


async def call_out(db, call: HotlineCall) -> CallOut:
    member = await db.get(User, call.member_id) if call.member_id else None
    return CallOut(
        **{k: getattr(call, k) for k in CallOut.model_fields if k != "member"},
        member=CallerOut.model_validate(member, from_attributes=True) if member else None,
    )


async def _order(db, user: User, order) -> OrderOut:
    return (await order_views.build(db, user, [order], with_events=True))[0]


class HotlineController(Controller):
    path = "/api/v1/admin/hotline/calls"
    tags = ["hotline"]

    @post("/", opt=STAFF)
    async def open_call(self, data: JSONBody[LookupIn], user: CurrentUser, db: Db) -> CallOut:
        """Open the caller's record (full phone number or union card number; the reason is audited)."""
        return await call_out(db, await hotline.open_call(db, user, data.reason, data.phone, data.card))

    @post("/log", opt=STAFF)
    async def log_call(self, data: JSONBody[CallLogIn], user: CurrentUser, db: Db) -> CallOut:
        call = await hotline.log_call(db, user, data.topic, data.outcome, data.note, data.follow_up_on)
        return await call_out(db, call)

    @get("/", opt=STAFF)
    async def list_calls(
        self,
        request: Request,
        user: CurrentUser,
        db: Db,
        outcome: FromQuery[Outcome | Literal["open"] | None] = None,
        topic: FromQuery[Topic | None] = None,
        period: FromQuery[Period] = DEFAULT_PERIOD,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> Page[CallOut]:
        """The call log, newest first, calls to return first; by outcome (`open`: not ended yet), topic and
        `period` (7d, 30d, 90d, year — from 1 January — or all) when asked."""
        since = period_start(period, utcnow(), ZoneInfo(request.app.state.settings.time_zone))
        found, total = await hotline.calls(db, user.market_id, limit, offset, outcome=outcome, topic=topic, since=since)
        return Page(items=[await call_out(db, c) for c in found], total=total)

    @get("/{call_id:int}", opt=STAFF)
    async def one(self, call_id: IdParam, user: CurrentUser, db: Db) -> CallOut:
        return await call_out(db, await hotline.call_of(db, user, call_id))

    @post("/{call_id:int}/orders", opt=STAFF)
    async def order(self, call_id: IdParam, data: JSONBody[CallOrderIn], user: CurrentUser, db: Db) -> OrderOut:
        order = await hotline.order_for(db, user, call_id, data.listing_id, data.session_id, data.note)
        return await _order(db, user, order)

    @post("/{call_id:int}/needs", opt=STAFF)
    async def need(self, call_id: IdParam, data: JSONBody[CallNeedIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _order(db, user, await hotline.need_for(db, user, call_id, data))

    @post("/{call_id:int}/orders/{order_id:int}/cancel", status_code=200, opt=STAFF)
    async def cancel(
        self, call_id: IdParam, order_id: IdParam, data: JSONBody[CallCancelIn], user: CurrentUser, db: Db
    ) -> OrderOut:
        return await _order(db, user, await hotline.cancel_for(db, user, call_id, order_id, data.reason))

    @post("/{call_id:int}/end", status_code=200, opt=STAFF)
    async def end(self, call_id: IdParam, data: JSONBody[CallEndIn], user: CurrentUser, db: Db) -> CallOut:
        call = await hotline.end_call(db, user, call_id, data.topic, data.outcome, data.note, data.follow_up_on)
        return await call_out(db, call)
