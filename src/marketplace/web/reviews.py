from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from ..auth import for_roles
from ..domain.roles import Role
from ..schemas.common import Page
from ..schemas.notices import NotificationOut
from ..schemas.orders import RequiredReasonIn
from ..schemas.reviews import ReplyIn, ReviewOut
from ..services import notices, reviews
from .common import CurrentUser, Db, IdParam, Limit, Offset


class ReviewController(Controller):
    path = "/api/v1"
    tags = ["reviews"]

    @get("/reviews/mine", opt=for_roles(Role.provider))
    async def mine(
        self, user: CurrentUser, db: Db, limit: FromQuery[Limit] = 20, offset: FromQuery[Offset] = 0
    ) -> Page[ReviewOut]:
        return await reviews.for_provider(db, user, limit, offset)

    @post("/reviews/{review_id:int}/reply", status_code=200)
    async def reply(self, review_id: IdParam, data: JSONBody[ReplyIn], user: CurrentUser, db: Db) -> ReviewOut:
        return await reviews.reply(db, user, review_id, data.text)

    @get("/admin/reviews", opt=for_roles(Role.curator))
    async def moderation(
        self,
        user: CurrentUser,
        db: Db,
        hidden: FromQuery[bool | None] = None,
        stars: FromQuery[Annotated[int | None, Parameter(ge=1, le=5)]] = None,
        listing: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Page[ReviewOut]:
        """The market's reviews, newest first; hidden or shown, of so many stars, of one listing, when asked."""
        return await reviews.for_staff(db, user, hidden, limit, offset, stars, listing)

    @post("/admin/reviews/{review_id:int}/hide", status_code=200, opt=for_roles(Role.curator))
    async def hide(self, review_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db) -> ReviewOut:
        return await reviews.set_hidden(db, user, review_id, True, data.reason)

    @post("/admin/reviews/{review_id:int}/show", status_code=200, opt=for_roles(Role.curator))
    async def show(self, review_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db) -> ReviewOut:
        return await reviews.set_hidden(db, user, review_id, False, data.reason)


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notices"]

    @get("/")
    async def inbox(
        self,
        user: CurrentUser,
        db: Db,
        unread: FromQuery[bool] = False,
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Page[NotificationOut]:
        return await notices.list_for(db, user, unread, limit, offset)

    @post("/{notification_id:int}/read", status_code=200)
    async def read(self, notification_id: IdParam, user: CurrentUser, db: Db) -> NotificationOut:
        return await notices.mark_read(db, user, notification_id)

    @post("/read-all", status_code=200)
    async def read_all(self, user: CurrentUser, db: Db) -> dict:
        return {"marked": await notices.mark_all_read(db, user)}
