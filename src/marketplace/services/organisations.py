"""团体预约 organisation orders: a grassroots union's contact books seats of a session for its workers.

Each person on the roster gets an order of their own (their account found by phone, or made "invited":
inactive, without a password, until they register with that phone), their own seat, notice and check-in
code. The booking takes its seats in one statement (`seats_taken + N <= capacity`), within the share of
the session a curator allows the organisation. Until the booking's cut-off the contact may swap a person:
the old order ends (`org_swap_out`) and the seat passes to a new order for the newcomer (`org_book`),
both through the transition table.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.listings import ListingShape, ListingState
from ..domain.orders import LIVE_STATES, Actor
from ..domain.phones import mask_phone, normalize_phone
from ..domain.roles import Role
from ..domain.service_time import service_time
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..models import CheckIn, Listing, ListingSession, Order, Organisation, OrgBooking, OrgSeat, User
from ..models.base import utcnow
from ..schemas.checkin import BookingIn, BookingOut, OrganisationIn, OrganisationOut, OrganisationPatch, SeatOut
from ..schemas.common import Page
from ..texts import msg
from . import audit, notices, reminders
from .accounts import INVITED
from .order_flow import drop_reminders, lock_order, move, record, seat_order
from .priority import reserve_held_back
from .tabular import decode_csv

CONTACT = {Actor.org_contact}
NOT_A_CONTACT = "Only the contact of an organisation may book for it."


def refused(cls, template: str, field: str, **params):
    """A refusal whose sentence has values in it: pages translate `template` with `params`."""
    exc = cls(template % params, field=field, extra=params)
    exc.template, exc.params = template, params
    return exc


# Curators: organisations and their contacts ------------------------------------------------------


async def _contact(db: AsyncSession, market_id: int, raw_phone: str) -> User:
    phone = normalize_phone(raw_phone)
    found = None
    if phone:
        found = (
            await db.execute(sa.select(User).where(User.phone == phone, User.market_id == market_id))
        ).scalar_one_or_none()
    if found is None or not found.is_active:
        raise InvalidInput("No active account of this market has this phone number.", field="contact_phone")
    return found


async def create(db: AsyncSession, curator: User, data: OrganisationIn) -> Organisation:
    contact = await _contact(db, curator.market_id, data.contact_phone)
    taken = await db.execute(
        sa.select(Organisation.id).where(Organisation.market_id == curator.market_id, Organisation.name == data.name)
    )
    if taken.first():
        raise Conflict("An organisation of this name exists already.", field="name")
    org = Organisation(
        market_id=curator.market_id, name=data.name, contact_id=contact.id, max_share_percent=data.max_share_percent
    )
    db.add(org)
    await db.flush()
    await audit.record(db, curator, "organisation_created", "organisation", org.id, name=org.name, contact=contact.id)
    return org


async def update(db: AsyncSession, curator: User, org_id: int, data: OrganisationPatch) -> Organisation:
    org = await db.get(Organisation, org_id)
    if org is None or org.market_id != curator.market_id:
        raise NotFound("No such organisation.")
    before = {"contact_id": org.contact_id, "max_share_percent": org.max_share_percent}
    if data.contact_phone is not None:
        org.contact_id = (await _contact(db, curator.market_id, data.contact_phone)).id
    if data.max_share_percent is not None:
        org.max_share_percent = data.max_share_percent
    after = {"contact_id": org.contact_id, "max_share_percent": org.max_share_percent}
    await audit.record(db, curator, "organisation_changed", "organisation", org.id, before=before, after=after)
    return org


async def list_all(
    db: AsyncSession, market_id: int, name: str | None = None, limit: int | None = None, offset: int = 0
) -> Page[OrganisationOut]:
    """The market's organisations by name; those whose name has `name` in it (taken as typed) when asked."""
    scope = [Organisation.market_id == market_id]
    if name:
        scope.append(Organisation.name.icontains(name, autoescape=True))
    total = (await db.execute(sa.select(sa.func.count()).select_from(Organisation).where(*scope))).scalar_one()
    rows = (
        await db.execute(
            sa.select(Organisation, User.name)
            .outerjoin(User, User.id == Organisation.contact_id)
            .where(*scope)
            .order_by(Organisation.name, Organisation.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return Page[OrganisationOut](items=[out(org, contact) for org, contact in rows], total=total)


def out(org: Organisation, contact_name: str | None) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        name=org.name,
        contact_id=org.contact_id,
        contact_name=contact_name,
        max_share_percent=org.max_share_percent,
    )


async def of_contact(db: AsyncSession, user: User) -> Organisation | None:
    return (
        await db.execute(
            sa.select(Organisation).where(Organisation.contact_id == user.id).order_by(Organisation.id).limit(1)
        )
    ).scalar_one_or_none()


async def mine(db: AsyncSession, user: User) -> Organisation:
    org = await of_contact(db, user)
    if org is None:
        raise Forbidden(NOT_A_CONTACT)
    return org


# Rosters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    phone: str  # normalised


def parse_roster_text(text: str) -> list[tuple[str, str]]:
    """Lines of "name, phone" (a comma, a Chinese comma, a tab or spaces between), as typed or pasted."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip().replace("，", ",").replace("\t", ",")
        if not line:
            continue
        if "," in line:
            name, _, phone = line.partition(",")
        else:
            name, _, phone = line.rpartition(" ")
        rows.append((name.strip(), phone.strip().strip(",")))
    return rows


def parse_roster_file(filename: str, content: bytes) -> list[tuple[str, str]]:
    """A roster uploaded as CSV (UTF-8 or GBK) or XLSX: the first two columns are name and phone; a
    header row (姓名/手机) is skipped."""
    if filename.lower().endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:
            raise InvalidInput("This file could not be read as an XLSX workbook.", field="file") from None
        sheet = book.worksheets[0]
        rows = [
            ("" if r[0] is None else str(r[0]).strip(), "" if len(r) < 2 or r[1] is None else str(r[1]).strip())
            for r in sheet.iter_rows(values_only=True, max_row=2000)
            if r and any(v is not None for v in r[:2])
        ]
    else:
        text = decode_csv(content)
        if text is None:
            raise InvalidInput("This file could not be read as CSV.", field="file")
        rows = [(r[0].strip(), r[1].strip() if len(r) > 1 else "") for r in csv.reader(io.StringIO(text)) if r]
    if rows and normalize_phone(rows[0][1]) is None and rows[0][1] in ("手机", "手机号", "电话", "phone", "Phone"):
        rows = rows[1:]
    return rows


def check_roster(rows: list[tuple[str, str]]) -> list[Person]:
    """Each line a name and a mobile number, no number twice; refusals name the line."""
    people: list[Person] = []
    seen: set[str] = set()
    for number, (name, raw) in enumerate(rows, start=1):
        phone = normalize_phone(raw)
        if not name or len(name) > 60:
            raise refused(
                InvalidInput, "Line %(line)s: a name (at most 60 characters) is needed.", "people", line=number
            )
        if phone is None:
            raise refused(InvalidInput, "Line %(line)s: this is not a mobile number.", "people", line=number)
        if phone in seen:
            raise refused(
                InvalidInput, "Line %(line)s: this phone number is on the roster twice.", "people", line=number
            )
        seen.add(phone)
        people.append(Person(name, phone))
    if not people:
        raise InvalidInput("The roster is empty.", field="people")
    return people


async def account_for(db: AsyncSession, market_id: int, person: Person) -> User:
    """The person's account, found by phone, else made "invited" (inactive, no password): they take it over
    by registering with that phone, and find their orders there."""
    found = (await db.execute(sa.select(User).where(User.phone == person.phone))).scalar_one_or_none()
    if found is not None:
        return found
    user = User(
        market_id=market_id,
        phone=person.phone,
        name=person.name,
        password_hash=INVITED,
        roles=[Role.member],
        is_active=False,
    )
    db.add(user)
    await db.flush()
    return user


def is_invited(user: User) -> bool:
    return user.password_hash == INVITED


# Booking and swapping --------------------------------------------------------------------------


async def book(db: AsyncSession, contact: User, data: BookingIn) -> OrgBooking:
    org = await mine(db, contact)
    people = check_roster([(p.name, p.phone) for p in data.people])
    session = (
        await db.execute(
            sa.select(ListingSession)
            .where(ListingSession.id == data.session_id, ListingSession.market_id == org.market_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    listing = await db.get(Listing, session.listing_id) if session else None
    if session is None or listing is None or listing.state != ListingState.published:
        raise refused(InvalidInput, "Unknown session: %(id)s.", "session_id", id=data.session_id)
    if listing.shape == ListingShape.on_request or session.cancelled_at is not None:
        raise Conflict("This session takes no bookings.", field="session_id")
    now = utcnow()
    if session.starts_at <= now:
        raise Conflict("This session has already started.", field="session_id")
    allowed = session.capacity * org.max_share_percent // 100
    held = await seats_held(db, org.id, session.id)
    if held + len(people) > allowed:
        raise refused(
            Conflict,
            "Your organisation may hold at most %(allowed)s seats of this session (%(held)s held).",
            "people",
            allowed=allowed,
            held=held,
        )
    # A priority reserve is kept for members of its groups who come themselves (or win it in the draw): a
    # booking takes only the other seats until the reserve's release time.
    held_back = reserve_held_back(
        session.capacity, session.reserve_percent, session.reserve_release_at, session.starts_at, now
    )
    taken = await db.execute(
        sa.update(ListingSession)
        .where(
            ListingSession.id == session.id,
            ListingSession.seats_taken + len(people) <= ListingSession.capacity - held_back,
        )
        .values(seats_taken=ListingSession.seats_taken + len(people))
        .returning(ListingSession.capacity - ListingSession.seats_taken)
    )
    if taken.first() is None:
        left = max(0, session.capacity - held_back - session.seats_taken)
        raise refused(Conflict, "Only %(left)s seats of this session are left.", "people", left=left)
    booking = OrgBooking(
        market_id=org.market_id,
        organisation_id=org.id,
        session_id=session.id,
        booked_by=contact.id,
        swap_until=max(now, session.starts_at - timedelta(hours=data.swap_cutoff_hours)),
    )
    db.add(booking)
    await db.flush()
    for person in people:
        await _seat(db, contact, org, booking, session, listing, person)
    return booking


async def seats_held(db: AsyncSession, org_id: int, session_id: int) -> int:
    return (
        await db.execute(
            sa.select(sa.func.count())
            .select_from(OrgSeat)
            .join(OrgBooking, OrgBooking.id == OrgSeat.booking_id)
            .join(Order, Order.id == OrgSeat.order_id)
            .where(
                OrgBooking.organisation_id == org_id,
                OrgBooking.session_id == session_id,
                Order.holds_seat.is_(True),
            )
        )
    ).scalar_one()


async def _seat(
    db: AsyncSession,
    contact: User,
    org: Organisation,
    booking: OrgBooking,
    session: ListingSession,
    listing: Listing,
    person: Person,
) -> OrgSeat:
    """One person's own order of the booked session, holding one of the seats the booking took."""
    member = await account_for(db, org.market_id, person)
    if member.id == listing.provider_id:
        raise refused(
            Conflict, "%(name)s: the provider of this service cannot take a seat in it.", "people", name=person.name
        )
    if listing.target_groups and not set(listing.target_groups) & set(member.groups):
        # as for a member's own order: only a group a curator confirmed opens a group's service
        raise refused(
            Conflict, "%(name)s is not confirmed in the group this service is for.", "people", name=person.name
        )
    live = await db.execute(
        sa.select(Order.id).where(
            Order.member_id == member.id, Order.session_id == session.id, Order.state.in_(sorted(LIVE_STATES))
        )
    )
    if live.first():
        raise refused(Conflict, "%(name)s already holds an order of this session.", "people", name=person.name)
    order = seat_order(listing, session, member.id, note=f"团体预约：{org.name}")
    db.add(order)
    await db.flush()
    record(db, order, "place", contact, Actor.org_contact, None, data={"organisation_id": org.id})
    when = service_time(session.starts_at, session.ends_at, {}, False)
    move(db, order, "org_book", CONTACT, contact, f"booked by {org.name}", when=when)
    await reminders.plan_session(db, order)
    await notices.notify(
        db,
        member.id,
        org.market_id,
        "org_booked",
        msg("Group booking: %(title)s", title=listing.title),
        msg(
            "%(organisation)s booked you a place. Please come on time; your check-in code is on the order page.",
            organisation=org.name,
        ),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:org_booked",
    )
    seat = OrgSeat(booking_id=booking.id, order_id=order.id, member_id=member.id, name=person.name)
    db.add(seat)
    await db.flush()
    return seat


async def swap(db: AsyncSession, contact: User, seat_id: int, name: str, phone: str) -> OrgSeat:
    """Give a person's seat to someone else before the booking's cut-off."""
    org = await mine(db, contact)
    seat = (await db.execute(sa.select(OrgSeat).where(OrgSeat.id == seat_id).with_for_update())).scalar_one_or_none()
    booking = await db.get(OrgBooking, seat.booking_id) if seat else None
    if seat is None or booking is None or booking.organisation_id != org.id:
        raise NotFound("No such person on your bookings.")
    if seat.swapped_at is not None:
        raise Conflict("This person was already swapped.", field="seat_id")
    now = utcnow()
    if now > booking.swap_until:
        raise Conflict("Swaps for this booking closed at its cut-off.", field="seat_id")
    person = check_roster([(name, phone)])[0]
    session = (
        await db.execute(sa.select(ListingSession).where(ListingSession.id == booking.session_id).with_for_update())
    ).scalar_one()
    listing = await db.get(Listing, session.listing_id)
    old = await lock_order(db, seat.order_id)
    if not old.holds_seat:
        raise Conflict("This person's seat is no longer held (their order ended).", field="seat_id")
    when = service_time(session.starts_at, session.ends_at, {}, False)
    move(db, old, "org_swap_out", CONTACT, contact, f"swapped for {person.name}", when=when)
    old.holds_seat = False  # the seat passes to the newcomer's order: seats_taken stays as it is
    await drop_reminders(db, old)
    await notices.notify(
        db,
        old.member_id,
        old.market_id,
        "org_swapped",
        msg("Group booking changed: %(title)s", title=listing.title),
        msg("%(organisation)s gave your place to someone else.", organisation=org.name),
        {"order_id": old.id},
        dedupe_key=f"order:{old.id}:org_swapped",
    )
    new = await _seat(db, contact, org, booking, session, listing, person)
    seat.swapped_at = now
    seat.replaced_by_id = new.id
    return new


# What the organisation sees ----------------------------------------------------------------------


async def bookings(db: AsyncSession, contact: User) -> list[BookingOut]:
    org = await mine(db, contact)
    found = (
        await db.execute(
            sa.select(OrgBooking, ListingSession, Listing.title)
            .join(ListingSession, ListingSession.id == OrgBooking.session_id)
            .join(Listing, Listing.id == ListingSession.listing_id)
            .where(OrgBooking.organisation_id == org.id)
            .order_by(ListingSession.starts_at.desc(), OrgBooking.id.desc())
            .limit(100)
        )
    ).all()
    ids = [b.id for b, _, _ in found]
    seats = (
        await db.execute(
            sa.select(OrgSeat, User.phone, Order.state, CheckIn.checked_in_at)
            .join(User, User.id == OrgSeat.member_id)
            .join(Order, Order.id == OrgSeat.order_id)
            .outerjoin(CheckIn, CheckIn.order_id == OrgSeat.order_id)
            .where(OrgSeat.booking_id.in_(ids))
            .order_by(OrgSeat.id)
        )
    ).all()
    by_booking: dict[int, list[SeatOut]] = {}
    for seat, phone, state, checked_in_at in seats:
        by_booking.setdefault(seat.booking_id, []).append(
            SeatOut(
                seat_id=seat.id,
                order_id=seat.order_id,
                name=seat.name,
                phone=mask_phone(phone),
                state=state,
                checked_in_at=checked_in_at,
                swapped_at=seat.swapped_at,
            )
        )
    return [
        BookingOut(
            id=b.id,
            organisation_id=b.organisation_id,
            session_id=s.id,
            listing_title=title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            swap_until=b.swap_until,
            seats=by_booking.get(b.id, []),
        )
        for b, s, title in found
    ]


async def bookable_sessions(db: AsyncSession, market_id: int, now: datetime | None = None) -> list[tuple]:
    """Upcoming sessions of published group listings with seats left: (session id, title, starts, left). Left
    is what a booking may take: a priority reserve is not, until its release time (as `book` counts it)."""
    now = now or utcnow()
    reserved = sa.case(
        (
            sa.func.coalesce(ListingSession.reserve_release_at, ListingSession.starts_at) > now,
            ListingSession.capacity * ListingSession.reserve_percent // 100,  # rounded down, as reserve_seats
        ),
        else_=0,
    )
    left = ListingSession.capacity - ListingSession.seats_taken - reserved
    rows = await db.execute(
        sa.select(ListingSession.id, Listing.title, ListingSession.starts_at, left)
        .join(Listing, Listing.id == ListingSession.listing_id)
        .where(
            Listing.market_id == market_id,
            Listing.state == ListingState.published,
            Listing.shape == ListingShape.group,
            ListingSession.cancelled_at.is_(None),
            ListingSession.starts_at > now,
            left > 0,
        )
        .order_by(ListingSession.starts_at, ListingSession.id)
        .limit(200)
    )
    return [tuple(r) for r in rows]
