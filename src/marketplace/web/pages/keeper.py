"""我的驿站: a station keeper's (站长) console — their stations' hours, facilities, contact, notice and
temporary closure, photos, visits and ratings — and the photo and keeper forms a curator uses on the desk's
station page. A keeper reaches only their own stations (403 with a sentence otherwise) and no desk page."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from ...domain.pictures import MAX_PICTURES
from ...domain.roles import Role
from ...models.base import utcnow
from ...services import station_keepers, stations
from ...services.reminders import market_zone
from ..bodies import MAX_UPLOAD_BODY_BYTES, UPLOADS
from ..common import Db, IdParam
from .charts import bar_chart
from .common import PAGE_DEPENDENCIES, PageUser, as_list, attempt, form_of, need, page, refusal
from .i18n import N_, lang_of, tr
from .once import once
from .stations import FACILITY_VALUES, desk_station_page, form_of_openings, openings_from_form

_BAD_DAY = N_("Give the day as YYYY-MM-DD.")
DESK, CONSOLE = "/desk/stations", "/keeper/stations"


def _base(request: Request, station_id: int) -> str:
    """The station's page the form came from: the desk's (a curator) or 我的驿站's."""
    prefix = DESK if request.url.path.startswith(DESK + "/") else CONSOLE
    return f"{prefix}/{station_id}"


def _closure_values(station, zone) -> str:
    """The day the station reopens, while a closure lasts (one that ended is not offered to be sent again)."""
    if station.closed_until is None or station.closed_until <= utcnow():
        return ""
    return station.closed_until.astimezone(zone).date().isoformat()


async def _console(
    request: Request, db, user, station_id: int, status: int = 200, errors=None, values=None
) -> Template:
    station = await station_keepers.kept(db, user, station_id)
    found = await stations.page(db, user.market_id, station.id)
    zone = market_zone(db)
    if values is None:
        values = {
            "contact": station.contact,
            "notice": station.notice,
            "closed_until": _closure_values(station, zone),
            "open_all_day": "1" if station.open_all_day else "",
            "facility": list(station.facilities),
            **form_of_openings(found.openings),
        }
    figures = await stations.visit_figures(db, user.market_id, station_ids=[station.id])
    lang = lang_of(request)
    by_day = bar_chart(
        tr(lang, N_("Visits per day, last 30 days")), [(f"{d.month}/{d.day}", n) for d, n in figures.by_day]
    )
    by_hour = bar_chart(tr(lang, N_("Visits by hour of day, last 30 days")), [(f"{h}", n) for h, n in figures.by_hour])
    return page(
        request,
        "keeper/station.html",
        user,
        status,
        found=found,
        kept=await station_keepers.stations_of(db, user),
        values=values,
        errors=errors or {},
        facilities=FACILITY_VALUES,
        figures=figures,
        by_day=by_day,
        by_hour=by_hour,
        most=MAX_PICTURES,
        base=f"{CONSOLE}/{station.id}",
    )


async def _again(request: Request, db, user, station_id: int, status: int, errors: dict) -> Template:
    """The page a refused photo or keeper form came from, with why."""
    if request.url.path.startswith(DESK + "/"):
        return await desk_station_page(request, db, user, station_id, status, errors)
    return await _console(request, db, user, station_id, status, errors)


class KeeperPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/keeper")
    async def mine(self, request: Request, page_user: PageUser, db: Db) -> Template:
        """我的驿站: the stations the keeper keeps."""
        user = need(page_user, Role.keeper)
        return page(request, "keeper/stations.html", user, kept=await station_keepers.stations_of(db, user))

    @get("/keeper/stations/{station_id:int}")
    async def station(self, request: Request, station_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.keeper, Role.curator)
        return await _console(request, db, user, station_id)

    @post("/keeper/stations/{station_id:int}")
    async def save(self, request: Request, station_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        """Hours, facilities, contact, notice and a temporary closure, as the form stands (blank days closed)."""
        user = need(page_user, Role.keeper, Role.curator)
        await station_keepers.kept(db, user, station_id)
        values = await form_of(request)
        values["facility"] = [f for f in as_list(values.get("facility")) if f in FACILITY_VALUES]
        lang = lang_of(request)
        openings, errors = openings_from_form(values)
        errors = {k: tr(lang, v) for k, v in errors.items()}
        closed_until = None
        day = str(values.get("closed_until") or "").strip()
        if day:
            try:
                closed_until = datetime.combine(date.fromisoformat(day), time(), tzinfo=market_zone(db))
            except ValueError:
                errors["closed_until"] = tr(lang, _BAD_DAY)
        status = 400
        if not errors:
            edit = station_keepers.KeeperEdit(
                open_all_day=values.get("open_all_day") == "1",
                openings=openings,
                facilities=values["facility"],
                contact=str(values.get("contact", ""))[:100],
                notice=str(values.get("notice", ""))[:200],
                closed_until=closed_until,
            )

            async def keep() -> str:
                await station_keepers.update(db, user, station_id, edit)
                return f"{CONSOLE}/{station_id}?ok=keeper_saved"

            location, exc = await attempt(db, lambda: once(request, db, user, keep))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "openings")
        return await _console(request, db, user, station_id, status, errors, values)

    # Photos: the keeper's console and the desk's station page post the same forms ----------------------

    @post(
        [f"{CONSOLE}/{{station_id:int}}/photos", f"{DESK}/{{station_id:int}}/photos"],
        opt=UPLOADS,
        request_max_body_size=MAX_UPLOAD_BODY_BYTES,
    )
    async def add_photo(
        self, request: Request, station_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """A photo from the phone's camera or album; a refused one is told beside the upload field."""
        user = need(page_user, Role.keeper, Role.curator)
        await station_keepers.kept(db, user, station_id)
        sent = (await request.form()).get("file")
        content = await sent.read() if isinstance(sent, UploadFile) else b""
        return await _act(
            request,
            db,
            user,
            station_id,
            lambda: station_keepers.add_photo(db, user, station_id, content),
            "photo_added#photos",
            "file",
        )

    @post([f"{prefix}/{{station_id:int}}/photos/{{photo_id:int}}/move" for prefix in (CONSOLE, DESK)])
    async def move_photo(
        self, request: Request, station_id: IdParam, photo_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.keeper, Role.curator)
        step = -1 if (await form_of(request)).get("step") == "-1" else 1
        return await _act(
            request,
            db,
            user,
            station_id,
            lambda: station_keepers.move_photo(db, user, station_id, photo_id, step),
            "photo_moved#photos",
            "ids",
        )

    @post([f"{prefix}/{{station_id:int}}/photos/{{photo_id:int}}/remove" for prefix in (CONSOLE, DESK)])
    async def remove_photo(
        self, request: Request, station_id: IdParam, photo_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.keeper, Role.curator)
        return await _act(
            request,
            db,
            user,
            station_id,
            lambda: station_keepers.remove_photo(db, user, station_id, photo_id),
            "photo_removed#photos",
            "ids",
        )

    # Keepers, given and taken on the desk's station page ---------------------------------------------

    @post(f"{DESK}/{{station_id:int}}/keepers")
    async def assign(self, request: Request, station_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        phone = str((await form_of(request)).get("phone", ""))[:40]
        return await _act(
            request,
            db,
            user,
            station_id,
            lambda: station_keepers.assign(db, user, station_id, phone=phone),
            "keeper_added#keepers",
            "phone",
        )

    @post(f"{DESK}/{{station_id:int}}/keepers/{{user_id:int}}/remove")
    async def unassign(
        self, request: Request, station_id: IdParam, user_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.curator)
        return await _act(
            request,
            db,
            user,
            station_id,
            lambda: station_keepers.unassign(db, user, station_id, user_id),
            "keeper_removed#keepers",
            "phone",
        )


async def _act(
    request: Request, db, user, station_id: int, act: Callable[[], Awaitable], done: str, field: str
) -> Template | Redirect:
    """Run a photo or keeper form's use case once (a double tap or a refresh acts once), then back to the
    station's page it came from with `done` (the confirmation and where on the page), or that page again with
    why it was refused beside `field`."""

    async def work() -> str:
        await act()
        return f"{_base(request, station_id)}?ok={done}"

    location, exc = await attempt(db, lambda: once(request, db, user, work))
    if exc is None:
        return Redirect(location, status_code=303)
    status, errors = refusal(request, exc, field)
    return await _again(request, db, user, station_id, status, errors)
