"""Station pages: the 15-minute rest circle for members (nearest open stations, what is on there, check-in
and ratings) and the stations desk for curators (record, star review, poster with the check-in code,
coverage map and visits)."""

import math
import re
from datetime import timedelta
from urllib.parse import urlencode

import segno
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from markupsafe import Markup, escape

from ...domain import stations as rules
from ...domain.phones import mask_phone
from ...domain.pictures import MAX_PICTURES
from ...domain.roles import Role
from ...services import desk_lists, station_keepers, stations
from ..common import Db, IdParam, MarketId
from .charts import bar_chart
from .common import PAGE_DEPENDENCIES, PageUser, as_list, attempt, form_of, need, page, refusal
from .desk import DESK_PAGE
from .i18n import N_, lang_of, tr
from .once import once

FACILITY_VALUES = [f.value for f in rules.Facility]
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_BAD_TIME = N_("Give both times as HH:MM, e.g. 07:00 and 22:00.")
_BAD_PLACE = N_("Choose a place from the list, or let the browser give your location.")
_BAD_COORDINATES = N_("Give the coordinates as numbers: latitude −90 to 90, longitude −180 to 180.")


def _float(text: str | None, low: float, high: float) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if low <= value <= high else None  # NaN fails both comparisons


def _minutes(text: str) -> int | None:
    match = _TIME.match(text.strip())
    return int(match[1]) * 60 + int(match[2]) if match else None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def openings_from_form(values: dict) -> tuple[list[rules.Opening], dict[str, str]]:
    """The week's hours as the form gives them (opens_0 … closes_6 as HH:MM, both blank = closed); a night
    opening past midnight (22:00–06:00) becomes two, one on each day."""
    found, errors = [], {}
    for day in range(7):
        opens_text = (values.get(f"opens_{day}") or "").strip()
        closes_text = (values.get(f"closes_{day}") or "").strip()
        if not opens_text and not closes_text:
            continue
        opens, closes = _minutes(opens_text), _minutes(closes_text)
        if opens is None or closes is None or opens == closes:
            errors[f"opens_{day}"] = _BAD_TIME
        elif closes > opens:
            found.append(rules.Opening(day, opens, closes))
        else:
            found.append(rules.Opening(day, opens, rules.DAY_MINUTES))
            if closes > 0:
                found.append(rules.Opening((day + 1) % 7, 0, closes))
    return found, errors


def form_of_openings(openings: list[rules.Opening]) -> dict[str, str]:
    """The form's fields for recorded hours (the first opening of each day; a night one shows as ending
    the next morning)."""
    values: dict[str, str] = {}
    by_day = {o.weekday: o for o in sorted(openings, key=lambda o: (o.weekday, -o.opens))}
    for day, o in by_day.items():
        closes = o.closes
        following = next((n for n in openings if n.weekday == (day + 1) % 7 and n.opens == 0), None)
        if closes == rules.DAY_MINUTES and following is not None and following.closes < rules.DAY_MINUTES:
            closes = following.closes
        values[f"opens_{day}"], values[f"closes_{day}"] = _hhmm(o.opens), _hhmm(closes % rules.DAY_MINUTES)
    for day in range(7):
        if f"opens_{day}" in values and values[f"opens_{day}"] == "00:00":
            earlier = by_day.get((day - 1) % 7)
            if earlier is not None and earlier.closes == rules.DAY_MINUTES and earlier.opens > 0:
                values.pop(f"opens_{day}"), values.pop(f"closes_{day}")  # the tail of the night before
    return values


def qr_svg(text: str, title: str) -> Markup:
    """A QR code drawn as inline SVG (no image request, no inline style)."""
    svg = segno.make(text, error="m").svg_inline(scale=6, dark="#1f2328", title=title, svgclass="qr", lineclass=None)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1))


def coverage_svg(coverage: stations.Coverage, title: str, width: int = 640) -> Markup:
    """The district as a grid of squares shaded by the walk to the nearest open station (darker = farther,
    red = beyond 15 minutes), stations as dots: drawn from coordinates, no map tiles needed."""
    area = coverage.area
    if not coverage.cells:
        return Markup("")
    # Equirectangular: a degree of longitude is cos(latitude) of a degree of latitude.
    aspect = (area.north - area.south) / (
        (area.east - area.west) * math.cos(math.radians((area.north + area.south) / 2))
    )
    height = round(width * aspect)
    cw, ch = width / coverage.cols, height / coverage.rows
    parts = [
        f'<svg class="chart coverage" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for cell in coverage.cells:
        band = "gap" if not cell.covered else ("near" if cell.minutes <= 5 else "mid" if cell.minutes <= 10 else "far")
        parts.append(
            f'<rect class="cov-{band}" x="{cell.col * cw:.1f}" y="{cell.row * ch:.1f}" '
            f'width="{cw + 0.5:.1f}" height="{ch + 0.5:.1f}"/>'
        )

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (lon - area.west) / (area.east - area.west) * width, (area.north - lat) / (
            area.north - area.south
        ) * height

    for station, klass in [(s, "cov-open") for s in coverage.stations] + [(s, "cov-closed") for s in coverage.closed]:
        x, y = xy(station.lat, station.lon)
        parts.append(
            f'<circle class="{klass}" cx="{x:.1f}" cy="{y:.1f}" r="5"><title>{escape(station.name)}</title></circle>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


class StationPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/stations")
    async def nearest(self, request: Request, page_user: PageUser, db: Db, market_id: MarketId) -> Template:
        query = request.query_params
        places = await stations.landmarks(db, market_id)
        chosen = {
            "place": query.get("place", ""),
            "facility": [f for f in query.getall("facility", []) if f in FACILITY_VALUES],
            "open_now": query.get("open_now") == "1",
        }
        lat, lon, errors, origin = None, None, {}, None
        if query.get("lat") or query.get("lon"):
            lat, lon = _float(query.get("lat"), -90, 90), _float(query.get("lon"), -180, 180)
            if lat is None or lon is None:
                errors["place"] = tr(lang_of(request), _BAD_COORDINATES)
            else:
                origin = "here"
        elif chosen["place"]:
            place = next((p for p in places if str(p.id) == chosen["place"]), None)
            if place is None:
                errors["place"] = tr(lang_of(request), _BAD_PLACE)
            else:
                lat, lon, origin = place.lat, place.lon, place.name
        found = None
        if origin is not None:
            found = await stations.nearest(
                db,
                market_id,
                lat,
                lon,
                facilities=chosen["facility"],
                open_only=chosen["open_now"],
                radius_m=stations.MAX_RADIUS_M,
                limit=10,
            )
        return page(
            request,
            "stations/nearest.html",
            page_user,
            400 if errors else 200,
            places=places,
            chosen=chosen,
            errors=errors,
            found=found,
            origin=origin,
            circle=rules.CIRCLE_MINUTES,
            facilities=FACILITY_VALUES,
        )

    @get("/stations/{station_id:int}")
    async def station(
        self, request: Request, station_id: IdParam, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template:
        found = await stations.page(db, market_id, station_id, page_user)
        return page(request, "stations/station.html", page_user, found=found, rubric=rules.RUBRIC)

    @get("/stations/{station_id:int}/visit")
    async def visit_form(
        self, request: Request, station_id: IdParam, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template:
        """Where the station's QR code leads: a button to check in (a scan alone changes nothing)."""
        need(page_user, Role.member)
        found = await stations.page(db, market_id, station_id, page_user)
        return page(
            request, "stations/visit.html", page_user, found=found, code=request.query_params.get("code", "")[:32]
        )

    @post("/stations/{station_id:int}/visit")
    async def visit(
        self, request: Request, station_id: IdParam, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template | Redirect:
        user = need(page_user, Role.member)
        values = await form_of(request)

        async def check_in() -> str:
            await stations.visit(db, user, station_id, str(values.get("code", ""))[:32])
            return f"/stations/{station_id}?ok=visited"

        location, exc = await attempt(db, lambda: once(request, db, user, check_in))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc, "code")
        found = await stations.page(db, market_id, station_id, user)
        return page(request, "stations/visit.html", user, status, found=found, code="", errors=errors)

    @post("/stations/{station_id:int}/review")
    async def rate(
        self, request: Request, station_id: IdParam, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template | Redirect:
        user = need(page_user, Role.member)
        values = await form_of(request)
        stars = values.get("stars") if values.get("stars") in ("1", "2", "3", "4", "5") else "0"
        comment = str(values.get("comment", ""))[:500]

        async def rate_it() -> str:
            await stations.rate(db, user, station_id, int(stars), comment)
            return f"/stations/{station_id}?ok=station_rated#reviews"

        location, exc = await attempt(db, lambda: once(request, db, user, rate_it))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc, "stars")
        found = await stations.page(db, market_id, station_id, user)
        return page(
            request,
            "stations/station.html",
            user,
            status,
            found=found,
            rubric=rules.RUBRIC,
            errors=errors,
            values=values,
        )

    # The union desk ---------------------------------------------------------------------------------

    @get("/desk/stations")
    async def desk(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator, Role.operator)
        query = request.query_params
        at = None
        day, hour = query.get("day", ""), query.get("hour", "")
        if day in {str(d) for d in range(7)} and hour.isdigit() and int(hour) < 24:
            now = stations.local_now(db)
            at = (now + timedelta(days=(int(day) - now.weekday()) % 7)).replace(
                hour=int(hour), minute=0, second=0, microsecond=0
            )
        coverage = await stations.coverage(db, user.market_id, at)
        figures = await stations.visit_figures(db, user.market_id)
        lang = lang_of(request)
        by_hour = bar_chart(
            tr(lang, N_("Visits by hour of day, last 30 days")), [(f"{h}", n) for h, n in figures.by_hour]
        )
        share = round(coverage.uncovered_share * 100)
        title = tr(lang, N_("Coverage map: %(share)s%% of the district is beyond a 15-minute walk"), share=share)
        # The list's filters as the form sends them; what a stale or hand-made link carries that means nothing
        # is dropped, not refused.
        places = await stations.landmarks(db, user.market_id)
        q = (query.get("q") or "").strip()[:60]
        area = query.get("area", "")
        area = area if area in {str(p.id) for p in places} else ""
        stars = query.get("stars", "") if query.get("stars", "") in {str(n) for n in range(6)} else ""
        open_now = query.get("open", "") if query.get("open", "") in ("1", "0") else ""
        number = query.get("page", "1")
        page_number = min(int(number), 10_000) if number.isdigit() and int(number) >= 1 else 1
        found = await desk_lists.stations(
            db,
            user.market_id,
            q=q or None,
            area=int(area) if area else None,
            stars=int(stars) if stars else None,
            open_now=None if not open_now else open_now == "1",
            limit=DESK_PAGE,
            offset=(page_number - 1) * DESK_PAGE,
        )
        values = {"q": q, "area": area, "stars": stars, "open": open_now}
        kept = {k: v for k, v in values.items() if v}
        if day:
            kept["day"] = day
        if hour:
            kept["hour"] = hour
        return page(
            request,
            "desk/stations.html",
            user,
            found=found,
            values=values,
            places=places,
            query=urlencode(kept) + "&" if kept else "",
            page_number=page_number,
            size=DESK_PAGE,
            coverage=coverage,
            coverage_map=coverage_svg(coverage, title),
            uncovered=share,
            figures=figures,
            by_hour=by_hour,
            circle=rules.CIRCLE_MINUTES,
            day=day,
            hour=hour,
        )

    @get("/desk/stations/new")
    async def new(self, request: Request, page_user: PageUser) -> Template:
        user = need(page_user, Role.curator)
        return page(
            request,
            "desk/station_form.html",
            user,
            station=None,
            values={"facility": []},
            errors={},
            facilities=FACILITY_VALUES,
        )

    @get("/desk/stations/{station_id:int}")
    async def edit(self, request: Request, station_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator, Role.operator)
        return await desk_station_page(request, db, user, station_id)

    @post("/desk/stations")
    async def create(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        return await self._save(request, need(page_user, Role.curator), db, None)

    @post("/desk/stations/{station_id:int}")
    async def change(self, request: Request, station_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        return await self._save(request, need(page_user, Role.curator), db, station_id)

    async def _save(self, request: Request, user, db, station_id: int | None) -> Template | Redirect:
        values = await form_of(request)
        values["facility"] = [f for f in as_list(values.get("facility")) if f in FACILITY_VALUES]
        lang = lang_of(request)
        openings, errors = openings_from_form(values)
        errors = {k: tr(lang, v) for k, v in errors.items()}
        lat, lon = _float(values.get("lat"), -90, 90), _float(values.get("lon"), -180, 180)
        if lat is None or lon is None:
            errors["lat"] = tr(lang, _BAD_COORDINATES)
        status = 400
        if not errors:
            data = stations.StationInput(
                name=str(values.get("name", ""))[:100],
                address=str(values.get("address", ""))[:200],
                lat=lat,
                lon=lon,
                open_all_day=values.get("open_all_day") == "1",
                openings=openings,
                facilities=values["facility"],
                contact=str(values.get("contact", ""))[:100],
            )

            async def save() -> str:
                station = await stations.save(db, user, data, station_id)
                return f"/desk/stations/{station.id}?ok=station_saved"

            location, exc = await attempt(db, lambda: once(request, db, user, save))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "name")
        station = None if station_id is None else (await stations.page(db, user.market_id, station_id)).station
        return page(
            request,
            "desk/station_form.html",
            user,
            status,
            station=station,
            values=values,
            errors=errors,
            facilities=FACILITY_VALUES,
        )

    @post("/desk/stations/{station_id:int}/inspect")
    async def inspect(self, request: Request, station_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator, Role.operator)
        values = await form_of(request)
        score = values.get("inspection", "")
        score = int(score) if str(score).isdigit() and int(score) <= rules.RUBRIC["inspection"] else -1

        async def review() -> str:
            await stations.inspect(db, user, station_id, score, str(values.get("note", ""))[:500])
            return f"/desk/stations/{station_id}?ok=station_inspected#stars"

        location, exc = await attempt(db, lambda: once(request, db, user, review))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc, "inspection")
        return await desk_station_page(request, db, user, station_id, status, errors)


async def desk_station_page(request: Request, db, user, station_id: int, status: int = 200, errors=None) -> Template:
    """A station on the desk: its record (the form), its star reviews and the poster with its check-in code."""
    found = await stations.page(db, user.market_id, station_id)
    s = found.station
    values = {
        "name": s.name,
        "address": s.address,
        "lat": str(s.lat),
        "lon": str(s.lon),
        "contact": s.contact,
        "open_all_day": "1" if s.open_all_day else "",
        "facility": list(s.facilities),
        **form_of_openings(found.openings),
    }
    poster = f"{str(request.base_url).rstrip('/')}/stations/{s.id}/visit?code={stations.visit_code(db, s.id)}"
    keepers = await station_keepers.keepers_of(db, s.id)
    return page(
        request,
        "desk/station_form.html",
        user,
        status,
        station=s,
        found=found,
        values=values,
        errors=errors or {},
        facilities=FACILITY_VALUES,
        rubric=rules.RUBRIC,
        qr=qr_svg(poster, s.name),
        poster=poster,
        keepers=[(k, mask_phone(k.phone)) for k in keepers],
        most=MAX_PICTURES,
    )
