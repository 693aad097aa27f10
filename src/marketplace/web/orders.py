from typing import Annotated

from litestar import Controller, MediaType, Response, get, post
from litestar.params import FromQuery, HeaderParameter, JSONBody, Parameter, QueryParameter

from ..auth import for_roles, has_role, require_role
from ..domain.orders import OrderKind, OrderState
from ..domain.roles import Role
from ..errors import Forbidden
from ..models import Order, User
from ..ratelimits import Limits
from ..schemas.common import Page
from ..schemas.orders import (
    ArrangeIn,
    AttendanceIn,
    DeliverIn,
    OfferToIn,
    OrderIn,
    OrderOut,
    ProposeTimeIn,
    ReasonIn,
    RequiredReasonIn,
    ResolveIn,
    ReviewIn,
)
from ..services import idempotency, order_views, orders, reviews, waitlist_joins, waitlist_lines
from .common import CurrentUser, Db, IdParam, Limit, LimitsDep, Offset

# Printable ASCII without spaces at either end, 1–200 characters (services/idempotency.check_key).
IdempotencyHeader = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, pattern=r"^[!-~](?:[ -~]{0,198}[!-~])?$"),
]


async def _answer(db, user: User, order: Order) -> OrderOut:
    if db.new or db.dirty or db.deleted:  # what the use case changed through the ORM, before reading
        await db.flush()
    return (await order_views.build(db, user, [order], with_events=True))[0]


async def _created(db, user: User, key: str | None, count_order, make) -> Response[OrderOut]:
    """201 with the new order; with an Idempotency-Key, a retry gets the first answer again."""
    key = idempotency.check_key(key)
    if key is not None:
        stored = await idempotency.claim(db, user.id, key)
        if stored is not None:
            return Response(await _with_place_now(db, user, stored[1]), status_code=stored[0])
    await count_order()  # a replay above is not a new order
    out = await _answer(db, user, await make())
    body = out.model_dump_json().encode()  # encoded once: for the client and for the key's replay
    if key is not None:
        await idempotency.remember(db, user.id, key, 201, body)
    if waitlist_lines.waiting_for_places(db):  # "full: you are number N": N is taken once the order is committed
        await db.commit()
        out.waitlist_position = (await waitlist_lines.take_places(db)).get(out.id)
        body = out.model_dump_json().encode()
    return Response(body, status_code=201, media_type=MediaType.JSON)


def _count_once(limits: Limits, member_id: int):
    """The member's order counted against their rate limit once, however many paths it tries."""
    counted = False

    async def count() -> None:
        nonlocal counted
        if not counted:
            counted = True
            await limits.count_order(member_id)

    return count


async def _with_place_now(db, user: User, answer: dict) -> dict:
    """A replayed answer of a waitlisted order tells the place in line now (the first answer's was taken
    after its key's answer was stored, and the line moves)."""
    if answer.get("state") != OrderState.waitlisted or "id" not in answer:
        return answer
    order = await db.get(Order, answer["id"])
    if order is None or order.state != OrderState.waitlisted:
        return answer
    return {**answer, "waitlist_position": await order_views.waitlist_position(db, order)}


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @post("/", opt=for_roles(Role.member))
    async def place(
        self,
        data: JSONBody[OrderIn],
        user: CurrentUser,
        db: Db,
        limits: LimitsDep,
        idempotency_key: IdempotencyHeader = None,
    ) -> Response[OrderOut]:
        count_order = _count_once(limits, user.id)
        key = idempotency.check_key(idempotency_key)
        # a full session's order is written with the others of its moment (a burst's); any other, alone
        joined = await waitlist_joins.join_if_full(db, user, data, key, count_order)
        if joined.answer is not None:
            return Response(joined.answer, status_code=201, media_type=MediaType.JSON)
        return await _created(db, user, key, count_order, lambda: orders.place(db, user, data, joined.target))

    @get("/")
    async def list_orders(
        self,
        user: CurrentUser,
        db: Db,
        view: Annotated[str | None, QueryParameter(name="as", pattern="^(member|provider|staff)$")] = None,
        order_states: Annotated[list[OrderState] | None, QueryParameter(name="state")] = None,
        kind: FromQuery[OrderKind | None] = None,
        listing_id: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        session_id: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        escalated: FromQuery[bool | None] = None,
        archived: Annotated[
            bool,
            QueryParameter(
                description="true: the archived history (finished orders older than ARCHIVE_AFTER_DAYS); "
                "false: the everyday ones"
            ),
        ] = False,
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Page[OrderOut]:
        if view == "staff" and not has_role(user, Role.operator, Role.curator):
            raise Forbidden("This needs the operator or curator role.")
        if view == "provider":
            require_role(user, Role.provider)
        return await order_views.listing_page(
            db,
            user,
            view,
            state=[s.value for s in order_states] if order_states else None,
            kind=kind,
            listing_id=listing_id,
            session_id=session_id,
            escalated=escalated,
            archived=archived,
            limit=limit,
            offset=offset,
        )

    @get("/{order_id:int}")
    async def show(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        return await order_views.one(db, user, order_id)

    @post("/{order_id:int}/accept", status_code=200)
    async def accept(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.accept(db, user, order_id))

    @post("/{order_id:int}/decline", status_code=200)
    async def decline(self, order_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.decline(db, user, order_id, data.reason))

    @post("/{order_id:int}/arrange", status_code=200)
    async def arrange(self, order_id: IdParam, data: JSONBody[ArrangeIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.arrange(db, user, order_id, data))

    @post("/{order_id:int}/agree-time", status_code=200)
    async def agree_time(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        """The member agrees to the provider's arrangement (an order without a session)."""
        return await _answer(db, user, await orders.agree_time(db, user, order_id))

    @post("/{order_id:int}/propose-time", status_code=200)
    async def propose_time(
        self, order_id: IdParam, data: JSONBody[ProposeTimeIn], user: CurrentUser, db: Db
    ) -> OrderOut:
        """The member proposes another time (in the future), with a note; the provider accepts it or arranges anew."""
        return await _answer(db, user, await orders.propose_time(db, user, order_id, data))

    @post("/{order_id:int}/accept-time", status_code=200)
    async def accept_time(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        """The provider takes the member's proposed time: it becomes the agreed time."""
        return await _answer(db, user, await orders.accept_time(db, user, order_id))

    @post("/{order_id:int}/deliver", status_code=200)
    async def deliver(
        self, order_id: IdParam, user: CurrentUser, db: Db, data: JSONBody[DeliverIn | None] = None
    ) -> OrderOut:
        return await _answer(db, user, await orders.deliver(db, user, order_id, data or DeliverIn()))

    @post("/{order_id:int}/receive", status_code=200)
    async def receive(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.receive(db, user, order_id))

    @post("/{order_id:int}/dispute", status_code=200)
    async def dispute(self, order_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.dispute(db, user, order_id, data.reason))

    @post("/{order_id:int}/resolve", status_code=200)
    async def resolve(self, order_id: IdParam, data: JSONBody[ResolveIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.resolve(db, user, order_id, data))

    @post("/{order_id:int}/confirm", status_code=200)
    async def confirm(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        """A member promoted from the waitlist confirms the seat before `confirm_by`."""
        return await _answer(db, user, await orders.confirm(db, user, order_id))

    @post("/{order_id:int}/cancel", status_code=200)
    async def cancel(
        self, order_id: IdParam, user: CurrentUser, db: Db, data: JSONBody[ReasonIn | None] = None
    ) -> OrderOut:
        return await _answer(db, user, await orders.cancel(db, user, order_id, (data or ReasonIn()).reason))

    @post("/{order_id:int}/provider-cancel", status_code=200)
    async def provider_cancel(
        self, order_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db
    ) -> OrderOut:
        """The provider gives back an accepted listing order before the service starts, with a reason: the
        seat goes to the waiting list and the member is told."""
        return await _answer(db, user, await orders.provider_cancel(db, user, order_id, data.reason))

    @post("/{order_id:int}/no-show", status_code=200)
    async def no_show(
        self, order_id: IdParam, user: CurrentUser, db: Db, data: JSONBody[ReasonIn | None] = None
    ) -> OrderOut:
        return await _answer(db, user, await orders.no_show(db, user, order_id, (data or ReasonIn()).reason))

    @post("/{order_id:int}/review", status_code=200)
    async def review(self, order_id: IdParam, data: JSONBody[ReviewIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await reviews.review(db, user, order_id, data))

    @post("/{order_id:int}/reorder")
    async def reorder(
        self, order_id: IdParam, user: CurrentUser, db: Db, limits: LimitsDep, idempotency_key: IdempotencyHeader = None
    ) -> Response[OrderOut]:
        count_order = _count_once(limits, user.id)
        return await _created(db, user, idempotency_key, count_order, lambda: orders.reorder(db, user, order_id))

    @post("/{order_id:int}/reassign", status_code=200, opt=for_roles(Role.operator, Role.curator))
    async def reassign(self, order_id: IdParam, data: JSONBody[OfferToIn], user: CurrentUser, db: Db) -> OrderOut:
        return await _answer(db, user, await orders.offer_to(db, user, order_id, data.provider_id, data.reason))


class AttendanceController(Controller):
    path = "/api/v1/sessions"
    tags = ["orders"]

    @post("/{session_id:int}/attendance", status_code=200, opt=for_roles(Role.provider))
    async def attendance(
        self, session_id: IdParam, data: JSONBody[AttendanceIn], user: CurrentUser, db: Db
    ) -> list[OrderOut]:
        delivered = await orders.attendance(db, user, session_id, data)
        await db.flush()
        return await order_views.build(db, user, delivered)
