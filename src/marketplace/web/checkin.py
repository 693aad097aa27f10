"""API of check-in (扫码签到) and organisation orders (团体预约)."""

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody

from ..auth import for_roles
from ..domain import checkin as rules
from ..domain.roles import Role
from ..models import CheckIn, Order, User
from ..schemas.checkin import (
    BookingIn,
    BookingOut,
    CheckInIn,
    CheckInOut,
    DoorOut,
    DoorRowOut,
    MemberCodeOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    SeatOut,
    SelfCheckInIn,
    SwapIn,
)
from ..services import checkin, organisations
from .common import CurrentUser, Db, IdParam


async def _answer(db, order: Order) -> CheckInOut:
    await db.flush()
    row = await db.get(CheckIn, order.id)
    member = await db.get(User, order.member_id)
    return CheckInOut(
        order_id=order.id,
        session_id=order.session_id,
        name=member.name,
        state=order.state,
        checked_in_at=row.checked_in_at,
        delivered=order.state == "delivered",
    )


def session_code_url(request: Request, db, session_id: int) -> str:
    """The link a session's own QR code carries: a member's phone camera opens it, logged in they check in."""
    token = rules.session_token(checkin.key(db), session_id)
    return f"{str(request.base_url).rstrip('/')}/checkin/{token}"


class CheckInController(Controller):
    path = "/api/v1"
    tags = ["check-in"]

    @get("/orders/{order_id:int}/check-in", opt=for_roles(Role.member))
    async def my_code(self, order_id: IdParam, user: CurrentUser, db: Db) -> MemberCodeOut:
        """The member's check-in code of an accepted session order: the QR's text and the short code."""
        found = await checkin.member_code(db, user, order_id)
        return MemberCodeOut(
            order_id=found.order_id,
            session_id=found.session_id,
            code=found.code,
            token=found.token,
            opens_at=found.opens_at,
            closes_at=found.closes_at,
            checked_in_at=found.checked_in_at,
        )

    @get("/sessions/{session_id:int}/check-ins")
    async def door(self, request: Request, session_id: IdParam, user: CurrentUser, db: Db) -> DoorOut:
        """Who holds a seat of the session and who has checked in (its provider, the union's staff)."""
        await checkin.door_session(db, user, session_id)
        rows = await checkin.door_list(db, session_id)
        return DoorOut(
            session_id=session_id,
            session_code_url=session_code_url(request, db, session_id),
            items=[DoorRowOut.model_validate(r) for r in rows],
        )

    @post("/sessions/{session_id:int}/check-ins", status_code=200)
    async def check_in(self, session_id: IdParam, data: JSONBody[CheckInIn], user: CurrentUser, db: Db) -> CheckInOut:
        """Check in the holder of a scanned or typed code at the door (its provider, the union's staff)."""
        order = await checkin.check_in_code(
            db, user, session_id, data.code, "scan" if data.scanned else "typed", data.latitude, data.longitude
        )
        return await _answer(db, order)

    @post("/check-in", status_code=200, opt=for_roles(Role.member))
    async def self_check_in(self, data: JSONBody[SelfCheckInIn], user: CurrentUser, db: Db) -> CheckInOut:
        """A member checks themselves in with the session's own code (scanned from the provider's page)."""
        order = await checkin.self_check_in(db, user, data.token, data.latitude, data.longitude)
        return await _answer(db, order)


class OrganisationController(Controller):
    path = "/api/v1"
    tags = ["organisations"]

    @get("/admin/organisations", opt=for_roles(Role.curator))
    async def list_organisations(self, user: CurrentUser, db: Db) -> list[OrganisationOut]:
        return (await organisations.list_all(db, user.market_id)).items

    @post("/admin/organisations", opt=for_roles(Role.curator))
    async def create_organisation(self, data: JSONBody[OrganisationIn], user: CurrentUser, db: Db) -> OrganisationOut:
        """A grassroots union, its contact (an account of the market, by phone) and its share cap."""
        org = await organisations.create(db, user, data)
        contact = await db.get(User, org.contact_id)
        return organisations.out(org, contact.name)

    @patch("/admin/organisations/{org_id:int}", opt=for_roles(Role.curator))
    async def update_organisation(
        self, org_id: IdParam, data: JSONBody[OrganisationPatch], user: CurrentUser, db: Db
    ) -> OrganisationOut:
        org = await organisations.update(db, user, org_id, data)
        contact = await db.get(User, org.contact_id) if org.contact_id else None
        return organisations.out(org, contact.name if contact else None)

    @get("/organisation/bookings")
    async def my_bookings(self, user: CurrentUser, db: Db) -> list[BookingOut]:
        """The contact's organisation's bookings, each person with their order's state and check-in."""
        return await organisations.bookings(db, user)

    @post("/organisation/bookings")
    async def book(self, data: JSONBody[BookingIn], user: CurrentUser, db: Db) -> BookingOut:
        """Book seats of a session for the people on a roster; each gets an order of their own."""
        booking = await organisations.book(db, user, data)
        await db.flush()
        return next(b for b in await organisations.bookings(db, user) if b.id == booking.id)

    @post("/organisation/seats/{seat_id:int}/swap", status_code=200)
    async def swap(self, seat_id: IdParam, data: JSONBody[SwapIn], user: CurrentUser, db: Db) -> SeatOut:
        """Give a person's seat to someone else, before the booking's cut-off."""
        seat = await organisations.swap(db, user, seat_id, data.name, data.phone)
        await db.flush()
        for booking in await organisations.bookings(db, user):
            for found in booking.seats:
                if found.seat_id == seat.id:
                    return found
        raise AssertionError("the new seat is on the organisation's bookings")
