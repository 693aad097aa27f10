"""The order's thread through the API: its member and provider (and staff while it is disputed or escalated)."""

from litestar import Controller, MediaType, Response, get, post
from litestar.params import FromQuery, JSONBody

from ..schemas.common import Page
from ..schemas.messages import MessageIn, MessageOut
from ..services import idempotency, order_messages
from .common import CurrentUser, Db, IdParam, Limit, LimitsDep, Offset
from .orders import IdempotencyHeader


class OrderMessageController(Controller):
    path = "/api/v1/orders/{order_id:int}/messages"
    tags = ["orders"]

    @get("/")
    async def thread(
        self, order_id: IdParam, user: CurrentUser, db: Db, limit: FromQuery[Limit] = 50, offset: FromQuery[Offset] = 0
    ) -> Page[MessageOut]:
        """The order's messages, oldest first. Someone with no part in the order gets 404; union staff 403
        until the order is disputed or escalated."""
        return await order_messages.thread(db, user, order_id, limit, offset)

    @post("/")
    async def write(
        self,
        order_id: IdParam,
        data: JSONBody[MessageIn],
        user: CurrentUser,
        db: Db,
        limits: LimitsDep,
        idempotency_key: IdempotencyHeader = None,
    ) -> Response[MessageOut]:
        """A message to the other party: they get a notice (and the webhook). Rate limited per person
        (MESSAGE_LIMIT_PER_USER); with an Idempotency-Key, a retry gets the first answer and posts once."""
        key = idempotency.check_key(idempotency_key)
        if key is not None:
            stored = await idempotency.claim(db, user.id, key)
            if stored is not None:
                return Response(stored[1], status_code=stored[0])
        await limits.count_message(user.id)
        body = (await order_messages.post(db, user, order_id, data.body)).model_dump_json().encode()
        if key is not None:
            await idempotency.remember(db, user.id, key, 201, body)
        return Response(body, status_code=201, media_type=MediaType.JSON)
