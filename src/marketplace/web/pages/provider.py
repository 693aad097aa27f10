"""The provider console: listings with sessions, offers to answer, the schedule, attendance, reviews, profile."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Redirect, Template

from ...domain.listings import MAX_NEW_SESSIONS, MAX_REPEAT_WEEKS, ListingShape
from ...domain.roles import MemberGroup, Role
from ...errors import NotFound
from ...models import User
from ...models.base import utcnow
from ...schemas.accounts import ProviderProfileIn
from ...schemas.listings import ListingIn, ListingPatch, SessionsIn
from ...schemas.orders import AttendanceIn, RequiredReasonIn
from ...schemas.reviews import ReplyIn
from ...services import (
    accounts,
    categories,
    checkin,
    gaps,
    listings,
    menu,
    order_views,
    orders,
    pictures,
    reviews,
    schedule,
)
from ..bodies import MAX_UPLOAD_BODY_BYTES, UPLOADS
from ..common import Db, IdParam, MarketId
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    as_list,
    attempt,
    flat_categories,
    form_id,
    form_of,
    need,
    page,
    redirect,
    refusal,
    validate,
)
from .i18n import parse_local

InvitationQuery = Annotated[int | None, Parameter(ge=1, le=2**31 - 1, required=False)]

LISTING_ACTIONS = {"submit": "submitted", "pause": "paused", "resume": "resumed", "close": "closed"}
DURATIONS = [30, 60, 90, 120, 180, 240]
REPEATS = list(range(1, MAX_REPEAT_WEEKS + 1))  # "repeat weekly for N weeks" (1: once)


def _minute(moment: datetime) -> str:
    """A time in the address of the page after adding sessions: UTC, to the minute (202612011100)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def _skipped_times(text: str | None) -> list[datetime]:
    """The skipped sessions' times the address carries back (anything else in it is ignored)."""
    found = []
    for part in (text or "").split(",")[:MAX_NEW_SESSIONS]:
        if len(part) != 12 or not (part.isascii() and part.isdigit()):
            continue
        try:
            found.append(datetime.strptime(part, "%Y%m%d%H%M").replace(tzinfo=UTC))
        except ValueError:
            continue
    return found


def _sessions(request: Request, values: dict) -> list[dict]:
    """Session rows of a form (start, minutes, seats); rows left empty are ignored."""
    starts, minutes, seats = (as_list(values.get(k)) for k in ("starts_at", "minutes", "capacity"))
    rows = []
    for index, text in enumerate(starts):
        if not text.strip():
            continue
        start = parse_local(request, text)
        length = (form_id(minutes[index]) if index < len(minutes) else None) or 60
        try:
            end = start + timedelta(minutes=length) if start else None
        except OverflowError:  # past year 9999: the time is refused as out of range below
            end = None
        rows.append(
            {
                "starts_at": start or text,
                "ends_at": end or text,
                "capacity": seats[index] if index < len(seats) and seats[index] else 1,
            }
        )
    return rows


def _session_rows(values: dict) -> list[dict]:
    """What the form's session rows showed, to show them again (three empty rows to start with)."""
    starts, minutes, seats = (as_list(values.get(k)) for k in ("starts_at", "minutes", "capacity"))
    rows = [
        {
            "starts_at": s,
            "minutes": minutes[i] if i < len(minutes) else "60",
            "capacity": seats[i] if i < len(seats) else "",
        }
        for i, s in enumerate(starts)
    ]
    return rows + [{"starts_at": "", "minutes": "60", "capacity": ""}] * max(0, 3 - len(rows))


def _listing_input(request: Request, values: dict) -> dict[str, Any]:
    fields = {k: values.get(k, "") for k in ("title", "summary", "description", "location")}
    fields |= {k: values.get(k) or None for k in ("category_id", "shape", "mode")}
    fields["target_groups"] = [g for g in as_list(values.get("target_groups")) if g in MemberGroup.__members__]
    fields["auto_accept"] = values.get("auto_accept") == "1"
    fields["verified_only"] = values.get("verified_only") == "1"
    fields["invitation_id"] = values.get("invitation_id") or None
    fields["sessions"] = [] if values.get("shape") == ListingShape.on_request else _sessions(request, values)
    return fields


async def _own_listing(db, user: User, listing_id: int):
    listing = await menu.detail(db, await listings.get_visible(db, user, listing_id))
    if listing.provider.id != user.id:
        raise NotFound("No such listing.")
    return listing


async def _listing_page(
    request: Request, db, user: User, listing_id: int, status: int, errors: dict, values: dict | None = None
) -> Template:
    """The provider's listing page again, with what was refused shown beside its field (and what was typed)."""
    listing = await _own_listing(db, user, listing_id)
    return page(
        request,
        "provider/listing.html",
        user,
        status,
        listing=listing,
        values=values or {},
        errors=errors,
        rows=_session_rows(values or {}),
        durations=DURATIONS,
        repeats=REPEATS,
        skipped=[],
    )


async def _edit_page(request: Request, db, user: User, market_id: int, listing, status: int, values, errors):
    tree = await categories.tree(db, market_id)
    return page(
        request,
        "provider/listing_new.html",
        user,
        status,
        listing=listing,
        values=values,
        errors=errors,
        categories=flat_categories(tree.items),
    )


class ProviderPages(Controller):
    path = "/provider"
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/")
    async def home(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.provider)
        offers = await order_views.listing_page(db, user, "provider", state=["offered"], limit=50)
        accepted = await order_views.listing_page(db, user, "provider", state=["accepted"], limit=50)
        first_time = (await menu.mine(db, user, None, 1, 0)).total == 0  # no listing yet: the guided first step
        return page(request, "provider/home.html", user, offers=offers, accepted=accepted, first_time=first_time)

    @get("/listings")
    async def my_listings(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.provider)
        found = await menu.mine(db, user, None, 100, 0)
        return page(request, "provider/listings.html", user, found=found)

    @get("/listings/new")
    async def new_listing(
        self, request: Request, page_user: PageUser, db: Db, market_id: MarketId, invitation: InvitationQuery = None
    ) -> Template:
        user = need(page_user, Role.provider)
        tree = await categories.tree(db, market_id)
        values = {"shape": "group", "mode": "offline"}
        invited = None
        if invitation is not None:  # from an invitation to list for a supply gap (邀请上新): prefilled
            invited = await gaps.invitation_for(db, user, invitation)
            values |= {"category_id": str(invited.category_id), "invitation_id": str(invited.id)}
        return page(
            request,
            "provider/listing_new.html",
            user,
            invited=invited,
            values=values,
            rows=_session_rows({}),
            categories=flat_categories(tree.items),
            durations=DURATIONS,
        )

    @post("/listings/new")
    async def create_listing(
        self, request: Request, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        data, errors = validate(request, ListingIn, _listing_input(request, values))
        status = 400
        if data is not None:
            listing, exc = await attempt(db, lambda: listings.create(db, user, data))
            if exc is None:
                if values.get("next") == "preview":
                    return redirect(f"/provider/listings/{listing.id}/preview")
                return redirect(f"/provider/listings/{listing.id}", "created")
            status, errors = refusal(request, exc)
        tree = await categories.tree(db, market_id)
        return page(
            request,
            "provider/listing_new.html",
            user,
            status,
            values=values,
            errors=errors,
            rows=_session_rows(values),
            categories=flat_categories(tree.items),
            durations=DURATIONS,
        )

    @get("/listings/{listing_id:int}/edit")
    async def edit_listing(
        self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template:
        """A draft (new, or sent back with a reason) is edited before it is submitted again."""
        user = need(page_user, Role.provider)
        listing = await _own_listing(db, user, listing_id)
        values = listing.model_dump(include={"title", "summary", "description", "mode", "location", "target_groups"})
        values |= {"category_id": str(listing.category.id), "auto_accept": "1" if listing.auto_accept else ""}
        values["verified_only"] = "1" if listing.verified_only else ""
        return await _edit_page(request, db, user, market_id, listing, 200, values, {})

    @post("/listings/{listing_id:int}/edit")
    async def save_listing(
        self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        fields = _listing_input(request, values)
        fields.pop("shape"), fields.pop("sessions")
        data, errors = validate(request, ListingPatch, fields)
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: listings.update(db, user, listing_id, data))
            if exc is None:
                if values.get("next") == "preview":
                    return redirect(f"/provider/listings/{listing_id}/preview")
                return redirect(f"/provider/listings/{listing_id}", "saved")
            status, errors = refusal(request, exc)
        listing = await _own_listing(db, user, listing_id)
        return await _edit_page(request, db, user, market_id, listing, status, values, errors)

    @get("/listings/{listing_id:int}")
    async def listing(
        self,
        request: Request,
        listing_id: IdParam,
        page_user: PageUser,
        db: Db,
        added: Annotated[int | None, QueryParameter(ge=0, le=10_000)] = None,
        skipped: Annotated[str | None, QueryParameter(max_length=4000)] = None,
    ) -> Template:
        user = need(page_user, Role.provider)
        listing = await _own_listing(db, user, listing_id)
        return page(
            request,
            "provider/listing.html",
            user,
            listing=listing,
            rows=_session_rows({}),
            durations=DURATIONS,
            repeats=REPEATS,
            added=added,
            skipped=_skipped_times(skipped),
            values={},
        )

    @get("/listings/{listing_id:int}/preview")
    async def preview(self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db) -> Template:
        """预览: the listing as members will see it on the menu and its own page, then 提交审核."""
        user = need(page_user, Role.provider)
        listing = await _own_listing(db, user, listing_id)
        now = utcnow()
        return page(
            request,
            "provider/preview.html",
            user,
            listing=listing,
            upcoming=[s for s in listing.sessions if not s.cancelled and s.starts_at > now],
            provider=await accounts.provider_public(db, user.id),
        )

    @post("/listings/{listing_id:int}/pictures", opt=UPLOADS, request_max_body_size=MAX_UPLOAD_BODY_BYTES)
    async def add_picture(
        self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """A picture from the phone's camera or album; refused ones are told beside the upload field."""
        user = need(page_user, Role.provider)
        await _own_listing(db, user, listing_id)
        sent = (await request.form()).get("file")
        content = await sent.read() if isinstance(sent, UploadFile) else b""
        _, exc = await attempt(db, lambda: pictures.add(db, user, listing_id, content))
        if exc is None:
            return redirect(f"/provider/listings/{listing_id}", "picture_added")
        status, errors = refusal(request, exc, "file")
        return await _listing_page(request, db, user, listing_id, status, errors)

    @post("/listings/{listing_id:int}/pictures/{picture_id:int}/remove")
    async def remove_picture(
        self, request: Request, listing_id: IdParam, picture_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        await _own_listing(db, user, listing_id)
        _, exc = await attempt(db, lambda: pictures.remove(db, user, listing_id, picture_id))
        if exc is None:
            return redirect(f"/provider/listings/{listing_id}", "picture_removed")
        status, errors = refusal(request, exc, "file")
        return await _listing_page(request, db, user, listing_id, status, errors)

    @post("/listings/{listing_id:int}/sessions")
    async def add_sessions(
        self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        fields = {"sessions": _sessions(request, values), "repeat_weeks": values.get("repeat_weeks") or 1}
        data, errors = validate(request, SessionsIn, fields)
        status = 400
        if data is not None:
            done, exc = await attempt(
                db, lambda: listings.add_sessions(db, user, listing_id, data.sessions, data.repeat_weeks)
            )
            if exc is None:
                _, added, skipped = done
                query = urlencode({"added": added, "skipped": ",".join(_minute(s) for s, _ in skipped)})
                return redirect(f"/provider/listings/{listing_id}?{query}", "sessions")
            status, errors = refusal(request, exc)
        if errors.get("sessions"):
            errors["sessions.0.starts_at"] = errors.pop("sessions")
        if errors.get("form") and data is None:  # the repeat's own limits (at most 200 sessions)
            errors["repeat_weeks"] = errors.pop("form")
        return await _listing_page(request, db, user, listing_id, status, errors, values)

    @post("/listings/{listing_id:int}/clone")
    async def relist(self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        """上新 into a new batch: a draft copy to edit and submit; the original keeps its history."""
        user = need(page_user, Role.provider)
        copy, exc = await attempt(db, lambda: listings.clone(db, user, listing_id))
        if exc is None:
            return redirect(f"/provider/listings/{copy.id}", "relisted")
        return await self._listing_refused(request, db, user, listing_id, exc)

    @post("/sessions/{session_id:int}/cancel")
    async def call_off(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        data, errors = validate(request, RequiredReasonIn, values)
        session, _ = await schedule.own_session(db, user, session_id)
        if data is not None:
            _, exc = await attempt(db, lambda: listings.cancel_session(db, user, session_id, data.reason))
            if exc is None:
                return redirect(f"/provider/listings/{session.listing_id}", "session_called_off")
            return await self._listing_refused(request, db, user, session.listing_id, exc)
        errors = {f"cancel-{session_id}.{k}": v for k, v in errors.items()}
        return await _listing_page(request, db, user, session.listing_id, 400, errors)

    async def _listing_refused(self, request: Request, db, user: User, listing_id: int, exc) -> Template:
        status, errors = refusal(request, exc)
        return await _listing_page(request, db, user, listing_id, status, errors)

    @post("/listings/{listing_id:int}/{action:str}")
    async def change(
        self, request: Request, listing_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        if action not in LISTING_ACTIONS:
            raise NotFound("No such action.")
        use_case = (
            (lambda: listings.submit(db, user, listing_id))
            if action == "submit"
            else (lambda: listings.change_state(db, user, listing_id, action))
        )
        _, exc = await attempt(db, use_case)
        if exc is None:
            return redirect(f"/provider/listings/{listing_id}", LISTING_ACTIONS[action])
        return await self._listing_refused(request, db, user, listing_id, exc)

    @get("/schedule")
    async def schedule(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.provider)
        sessions = await schedule.sessions_of(db, user)
        on_request = await order_views.listing_page(db, user, "provider", state=["accepted"], limit=100)
        agreed = [o for o in on_request.items if o.session is None]
        return page(request, "provider/schedule.html", user, sessions=sessions, agreed=agreed)

    @get("/sessions/{session_id:int}/attendance")
    async def attendance_form(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.provider)
        return await _attendance_page(request, db, user, session_id)

    @post("/sessions/{session_id:int}/attendance")
    async def attendance(
        self, request: Request, session_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        everyone = {n for n in map(form_id, as_list(values.get("orders"))) if n is not None}
        present = {n for n in map(form_id, as_list(values.get("present"))) if n is not None} & everyone
        fields = {"present": sorted(present), "absent": sorted(everyone - present), "note": values.get("note", "")}
        data, errors = validate(request, AttendanceIn, fields)
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: schedule.own_session(db, user, session_id))
            if exc is None:
                _, exc = await attempt(db, lambda: orders.attendance(db, user, session_id, data))
            if exc is None:
                return redirect(f"/provider/sessions/{session_id}/attendance", "attendance")
            status, errors = refusal(request, exc)
        return await _attendance_page(request, db, user, session_id, status, errors=errors, values=values)

    @get("/reviews")
    async def my_reviews(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.provider)
        found = await reviews.for_provider(db, user, 50, 0)
        return page(request, "provider/reviews.html", user, found=found)

    @post("/reviews/{review_id:int}/reply")
    async def reply(self, request: Request, review_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        data, errors = validate(request, ReplyIn, values)
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: reviews.reply(db, user, review_id, data.text))
            if exc is None:
                return redirect("/provider/reviews", "replied")
            status, errors = refusal(request, exc, "text")
        found = await reviews.for_provider(db, user, 50, 0)
        errors = {f"{review_id}.{k}": v for k, v in errors.items()}
        return page(request, "provider/reviews.html", user, status, found=found, errors=errors, values=values)

    @get("/profile")
    async def profile(self, request: Request, page_user: PageUser, db: Db, market_id: MarketId) -> Template:
        user = need(page_user, Role.provider)
        current = await accounts.provider_public(db, user.id)
        values = {
            "bio": current.bio,
            "honours": "\n".join(current.honours),
            "skills": ", ".join(current.skills),
            "area": current.area,
            "online": "1" if current.online else "",
            "capacity": current.capacity,
            "category_ids": [str(c.id) for c in current.categories],
        }
        return await _profile_page(request, db, user, market_id, values, current.availability)

    @post("/profile")
    async def save_profile(
        self, request: Request, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template | Redirect:
        user = need(page_user, Role.provider)
        values = await form_of(request)
        fields = {
            "bio": values.get("bio", ""),
            "honours": [h.strip() for h in values.get("honours", "").splitlines() if h.strip()],
            "skills": [s.strip() for s in values.get("skills", "").replace("，", ",").split(",") if s.strip()],
            "area": values.get("area", ""),
            "online": values.get("online") == "1",
            "capacity": values.get("capacity") or 5,
            "category_ids": as_list(values.get("category_ids")),
        }
        windows = _windows(values)
        if "avail_start" in values:  # a form without the rows keeps the stored windows
            fields["availability"] = windows
        values["category_ids"] = as_list(values.get("category_ids"))
        data, errors = validate(request, ProviderProfileIn, fields)
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: accounts.update_provider_profile(db, user, data))
            if exc is None:
                return redirect("/provider/profile", "saved")
            status, errors = refusal(request, exc, "category_ids")
        # A refused window is shown beside its row (availability.<row>), any other field beside itself.
        errors = {
            ".".join(k.split(".")[:2]) if k.startswith("availability.") else k.split(".")[0]: v
            for k, v in reversed(list(errors.items()))
        }
        return await _profile_page(request, db, user, market_id, values, windows, status, errors=errors)


def _windows(values: dict) -> list[dict]:
    """The weekly windows of the profile form (weekday, start, end); rows without times are skipped."""
    days, starts, ends = (as_list(values.get(k)) for k in ("avail_weekday", "avail_start", "avail_end"))
    rows = []
    for index, day in enumerate(days):
        start = starts[index].strip() if index < len(starts) else ""
        end = ends[index].strip() if index < len(ends) else ""
        if start or end:
            rows.append({"weekday": day, "start": start, "end": end})
    return rows


async def _profile_page(request, db, user, market_id, values, windows, status=200, **context) -> Template:
    """The profile form; the weekly windows as rows, with two empty ones to add more without JavaScript."""
    tree = await categories.tree(db, market_id)
    # A time field cannot show 24:00: midnight is 00:00 there (an end the matcher reads the same way).
    rows = [{"weekday": str(w["weekday"]), "start": w["start"], "end": w["end"].replace("24:", "00:")} for w in windows]
    rows += [{"weekday": "0", "start": "", "end": ""}] * 2
    return page(
        request,
        "provider/profile.html",
        user,
        status,
        values=values,
        windows=rows,
        categories=flat_categories(tree.items),
        **context,
    )


async def _attendance_page(request: Request, db, user: User, session_id: int, status: int = 200, **context):
    session, listing = await schedule.own_session(db, user, session_id)
    found = await order_views.listing_page(db, user, "provider", session_id=session_id, archived=None, limit=100)
    waiting = [o for o in found.items if o.state == "accepted"]
    marked = [o for o in found.items if o.state in ("delivered", "received", "reviewed", "no_show")]
    # 扫码签到: once the door has checked anyone in, those not checked in start unticked (absent → no-show)
    checked_in = {r.order_id for r in await checkin.door_list(db, session_id) if r.checked_in_at}
    context.setdefault("values", {})
    return page(
        request,
        "provider/attendance.html",
        user,
        status,
        session=session,
        listing=listing,
        waiting=waiting,
        marked=marked,
        checked_in=checked_in,
        door_used=bool(checked_in),
        **context,
    )
