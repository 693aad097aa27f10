"""Pages of check-in (扫码签到) and organisation orders (团体预约).

The provider's door for a session: the camera scans members' codes where the browser has BarcodeDetector
(static/js/checkin.js), and a typed form that always works; the session's own code for members to scan.
A member's own scan of that code lands on /checkin/<token>. The organisation's page books with a roster
(typed, or a CSV/XLSX file), swaps a person, and shows attendance; the union desk lists organisations.
"""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...domain.roles import Role
from ...errors import InvalidInput
from ...models import User
from ...models.base import utcnow
from ...schemas.checkin import MAX_ROSTER, BookingIn, CheckInIn, OrganisationIn, OrganisationPatch, SelfCheckInIn
from ...services import checkin, organisations
from ..checkin import session_code_url
from ..common import Db, IdParam
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    attempt,
    form_of,
    kept,
    need,
    page,
    page_of,
    refusal,
    search_box,
    validate,
)
from .desk import DESK_PAGE
from .i18n import lang_of, tr
from .once import once

# The door pages may use the camera (scanning) and the place (where attendance was taken); no other page may.
DOOR_PERMISSIONS = {"permissions-policy": "camera=(self), microphone=(), geolocation=(self), payment=()"}
MAX_UPLOAD = 512 * 1024


def _number(text: Any) -> float | None:
    try:
        return float(text) if isinstance(text, str) and text.strip() and len(text) < 30 else None
    except ValueError:
        return None


def _refused(request: Request, exc: Exception, default_field: str = "code") -> tuple[int, dict[str, str]]:
    """A refusal in the page's language, also one with values in its sentence (已签到 HH:MM, line numbers)."""
    template = getattr(exc, "template", None)
    if template is not None:
        field = exc.extra.get("field") or default_field
        return exc.status_code, {field: tr(lang_of(request), template, **exc.params)}
    return refusal(request, exc, default_field)


async def _door_page(request: Request, db, user: User, session_id: int, status: int = 200, **context) -> Template:
    session, listing = await checkin.door_session(db, user, session_id)
    rows = await checkin.door_list(db, session_id)
    url = session_code_url(request, db, session_id)
    last = request.query_params.get("last")
    last_row = next((r for r in rows if str(r.order_id) == last), None)
    context.setdefault("values", {})
    return page(
        request,
        "provider/checkin.html",
        user,
        status,
        headers=DOOR_PERMISSIONS,
        session=session,
        listing=listing,
        rows=rows,
        checked=sum(1 for r in rows if r.checked_in_at),
        last_row=last_row,
        session_svg=checkin.qr_svg(url),
        session_url=url,
        **context,
    )


class CheckInPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/provider/sessions/{session_id:int}/checkin")
    async def door(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template:
        return await _door_page(request, db, need(page_user), session_id)

    @post("/provider/sessions/{session_id:int}/checkin")
    async def check_in(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        fields = {
            "code": values.get("code", ""),
            "scanned": values.get("scanned") == "1",
            "latitude": _number(values.get("latitude")),
            "longitude": _number(values.get("longitude")),
        }
        data, errors = validate(request, CheckInIn, fields)
        status = 400
        if data is not None:

            async def work() -> str:
                method = "scan" if data.scanned else "typed"
                order = await checkin.check_in_code(
                    db, user, session_id, data.code, method, data.latitude, data.longitude
                )
                return f"/provider/sessions/{session_id}/checkin?ok=checked_in&last={order.id}"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = _refused(request, exc)
        return await _door_page(request, db, user, session_id, status, errors=errors, values=values)

    @get("/checkin/{token:str}")
    async def self_form(self, request: Request, token: FromPath[str], page_user: PageUser, db: Db) -> Template:
        user = need(page_user)
        return page(request, "orders/checkin.html", user, headers=DOOR_PERMISSIONS, token=token[:200])

    @post("/checkin/{token:str}")
    async def self_check_in(
        self, request: Request, token: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        fields = {
            "token": token[:200],
            "latitude": _number(values.get("latitude")),
            "longitude": _number(values.get("longitude")),
        }
        data, errors = validate(request, SelfCheckInIn, fields)
        status = 400
        if data is not None:

            async def work() -> str:
                order = await checkin.self_check_in(db, user, data.token, data.latitude, data.longitude)
                return f"/orders/{order.id}?ok=checked_in"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = _refused(request, exc)
        return page(
            request, "orders/checkin.html", user, status, headers=DOOR_PERMISSIONS, token=token[:200], errors=errors
        )

    # 团体预约 ---------------------------------------------------------------------------------------

    @get("/org")
    async def organisation(self, request: Request, page_user: PageUser, db: Db) -> Template:
        return await _org_page(request, db, need(page_user))

    @post("/org/book")
    async def book(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        errors: dict[str, str] = {}
        rows: list[tuple[str, str]] = []
        upload = (await request.form()).get("file")
        try:
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(MAX_UPLOAD + 1)
                if len(content) > MAX_UPLOAD:
                    raise InvalidInput("The file is too large (at most 512 KB).", field="file")
                rows = organisations.parse_roster_file(upload.filename, content)
            rows += organisations.parse_roster_text(values.get("roster", ""))
        except InvalidInput as exc:
            _, errors = _refused(request, exc, "file")
        status = 400
        if not errors:
            fields = {
                "session_id": values.get("session_id") or None,
                "people": [{"name": n, "phone": p} for n, p in rows[: MAX_ROSTER + 1]],
                "swap_cutoff_hours": values.get("swap_cutoff_hours") or 24,
            }
            if not rows:
                errors = {"roster": tr(lang_of(request), "The roster is empty.")}
            else:
                data, errors = validate(request, BookingIn, fields)
                errors = {("roster" if k.startswith("people") else k): v for k, v in errors.items()}
                if data is not None:

                    async def work() -> str:
                        booking = await organisations.book(db, user, data)
                        return f"/org?ok=org_booked#booking-{booking.id}"

                    location, exc = await attempt(db, lambda: once(request, db, user, work))
                    if exc is None:
                        return Redirect(location, status_code=303)
                    status, errors = _refused(request, exc, "roster")
                    errors = {("roster" if k == "people" else k): v for k, v in errors.items()}
        return await _org_page(request, db, user, status, errors=errors, values=values)

    @post("/org/seats/{seat_id:int}/swap")
    async def swap(self, request: Request, seat_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        status = 400
        errors: dict[str, str] = {}
        name, phone = (values.get("name") or "").strip(), (values.get("phone") or "").strip()
        if not name or not phone:
            errors = {f"{seat_id}.swap": tr(lang_of(request), "Please fill this in.")}
        else:

            async def work() -> str:
                await organisations.swap(db, user, seat_id, name, phone)
                return "/org?ok=org_swapped"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, found = _refused(request, exc, "swap")
            errors = {f"{seat_id}.swap": next(iter(found.values()))}
        return await _org_page(request, db, user, status, errors=errors, values={})

    # The union desk: organisations, their contacts and caps ---------------------------------------------

    @get("/desk/organisations")
    async def desk(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator)
        return await _desk_page(request, db, user)

    @post("/desk/organisations")
    async def desk_create(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, OrganisationIn, values)
        status = 400
        if data is not None:

            async def work() -> str:
                await organisations.create(db, user, data)
                return "/desk/organisations?ok=org_created"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = _refused(request, exc, "name")
        return await _desk_page(request, db, user, status, errors=errors, values=values)

    @post("/desk/organisations/{org_id:int}")
    async def desk_update(self, request: Request, org_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        fields = {k: v for k, v in values.items() if k in ("contact_phone", "max_share_percent") and v}
        data, errors = validate(request, OrganisationPatch, fields)
        status = 400
        if data is not None:

            async def work() -> str:
                await organisations.update(db, user, org_id, data)
                return "/desk/organisations?ok=org_changed"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = _refused(request, exc, "max_share_percent")
        errors = {f"{org_id}.{k}": v for k, v in errors.items()}
        return await _desk_page(request, db, user, status, errors=errors, values={})


async def _org_page(request: Request, db, user: User, status: int = 200, **context) -> Template:
    org = await organisations.mine(db, user)
    context.setdefault("values", {"swap_cutoff_hours": 24})
    return page(
        request,
        "org/home.html",
        user,
        status,
        org=org,
        now=utcnow(),
        bookings=await organisations.bookings(db, user),
        sessions=await organisations.bookable_sessions(db, org.market_id),
        **context,
    )


async def _desk_page(request: Request, db, user: User, status: int = 200, **context) -> Template:
    context.setdefault("values", {"max_share_percent": 50})
    name, number = search_box(request), page_of(request)  # the search box as sent: empty is every one
    found = await organisations.list_all(db, user.market_id, name or None, DESK_PAGE, (number - 1) * DESK_PAGE)
    return page(
        request,
        "desk/organisations.html",
        user,
        status,
        organisations=found.items,
        found=found,
        q=name,
        query=kept({"q": name}),
        page_number=number,
        size=DESK_PAGE,
        **context,
    )
