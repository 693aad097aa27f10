"""Union stations (工会驿站): the nearest open ones, what is on there, visits, ratings, star reviews
and the 15-minute coverage of the district."""

import functools
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import settings_of
from ..domain import stations as rules
from ..domain.listings import ListingState
from ..errors import Forbidden, InvalidInput, NotFound
from ..models import (
    Landmark,
    Listing,
    ListingSession,
    Station,
    StationInspection,
    StationOpening,
    StationPhoto,
    StationReview,
    StationVisit,
    User,
)
from ..models.base import utcnow
from ..schemas.common import PictureOut
from . import audit, pictures
from .reminders import market_zone

# Past this the walk is not a rest break; the member is told there is none nearby.
MAX_RADIUS_M = 20_000
DEFAULT_RADIUS_M = 3_000


@dataclass
class Nearby:
    station: Station
    metres: float
    minutes: int
    open_now: bool
    next_open: datetime | None  # local time, when closed now
    openings: list[rules.Opening]


def distance_sql(lat, lon, to_lat, to_lon) -> sa.ColumnElement[float]:
    """The haversine distance in metres from (lat, lon) to (to_lat, to_lon): domain/stations.distance_m in SQL."""
    f = sa.func
    half_dlat = f.sin(f.radians(to_lat - lat) / 2.0)
    half_dlon = f.sin(f.radians(to_lon - lon) / 2.0)
    a = half_dlat * half_dlat + f.cos(f.radians(lat)) * f.cos(f.radians(to_lat)) * half_dlon * half_dlon
    return 2 * rules.EARTH_RADIUS_M * f.asin(f.least(1.0, f.sqrt(a)))


def _distance(lat, lon) -> sa.ColumnElement[float]:
    """From (lat, lon) to each station."""
    return distance_sql(lat, lon, Station.lat, Station.lon)


def open_at(weekday, minute, moment) -> sa.ColumnElement[bool]:
    """Open at `moment` (its local weekday and minute given): not closed for the while, and open all day or
    by an opening of that day (domain/stations.open_state in SQL)."""
    return sa.and_(
        sa.or_(Station.closed_until.is_(None), Station.closed_until <= moment),
        sa.or_(
            Station.open_all_day,
            sa.exists().where(
                StationOpening.station_id == Station.id,
                StationOpening.weekday == weekday,
                StationOpening.opens <= minute,
                StationOpening.closes > minute,
            ),
        ),
    )


_OPENINGS = (
    sa.select(
        sa.func.coalesce(
            sa.func.json_agg(
                sa.func.json_build_array(StationOpening.weekday, StationOpening.opens, StationOpening.closes)
            ),
            sa.text("'[]'::json"),
        )
    )
    .where(StationOpening.station_id == Station.id)
    .scalar_subquery()
)


def local_now(db: AsyncSession, now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(market_zone(db))


def _local(moment: datetime | None, like: datetime) -> datetime | None:
    return None if moment is None else moment.astimezone(like.tzinfo)


async def nearest(
    db: AsyncSession,
    market_id: int,
    lat: float,
    lon: float,
    *,
    facilities: list[str] = (),
    open_only: bool = False,
    radius_m: float = DEFAULT_RADIUS_M,
    limit: int = 10,
    now: datetime | None = None,
) -> list[Nearby]:
    """The stations within `radius_m` of (lat, lon), nearest first: one query, the latitude/longitude
    box served by ix_stations_market_lat_lon, the exact distance computed only inside it."""
    local = local_now(db, now)
    statement, values = nearest_query(market_id, lat, lon, local, facilities, open_only, radius_m, limit)
    found = []
    for station, metres, is_open, openings in (await db.execute(statement, values)).all():
        hours = [rules.Opening(*o) for o in openings]
        _, next_open = rules.open_state(hours, station.open_all_day, local, _local(station.closed_until, local))
        found.append(
            Nearby(
                station=station,
                metres=metres,
                minutes=rules.walking_minutes(metres),
                open_now=is_open,
                next_open=None if is_open else next_open,
                openings=sorted(hours, key=lambda o: (o.weekday, o.opens)),
            )
        )
    return found


@functools.cache
def _nearest_statement(with_facilities: bool, open_only: bool) -> sa.Select:
    """The search as a statement with named parameters, built once per shape (building the expression
    costs more than the database takes to answer it)."""
    lat, lon = sa.bindparam("lat", type_=sa.Float), sa.bindparam("lon", type_=sa.Float)
    distance = _distance(lat, lon)
    open_now = open_at(
        sa.bindparam("weekday", type_=sa.Integer),
        sa.bindparam("minute", type_=sa.Integer),
        sa.bindparam("moment", type_=sa.DateTime(timezone=True)),
    )
    query = (
        sa.select(Station, distance.label("metres"), open_now.label("open_now"), _OPENINGS.label("openings"))
        .where(
            Station.market_id == sa.bindparam("market_id", type_=sa.Integer),
            Station.archived_at.is_(None),
            Station.lat.between(sa.bindparam("south", type_=sa.Float), sa.bindparam("north", type_=sa.Float)),
            Station.lon.between(sa.bindparam("west", type_=sa.Float), sa.bindparam("east", type_=sa.Float)),
            distance <= sa.bindparam("radius", type_=sa.Float),
        )
        .order_by(sa.literal_column("metres"), Station.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    if with_facilities:
        query = query.where(Station.facilities.contains(sa.bindparam("facilities", type_=ARRAY(sa.String))))
    if open_only:
        query = query.where(open_now)
    return query


def nearest_query(
    market_id: int,
    lat: float,
    lon: float,
    local: datetime,
    facilities: list[str] = (),
    open_only: bool = False,
    radius_m: float = DEFAULT_RADIUS_M,
    limit: int = 10,
) -> tuple[sa.Select, dict]:
    """The statement `nearest` runs and its values (bench/stations.py explains it): the box first, exact
    distance after."""
    lat, lon = rules.coordinate(lat), rules.coordinate(lon)
    box = rules.box_around(lat, lon, radius_m)
    values = {
        "market_id": market_id,
        "lat": lat,
        "lon": lon,
        "south": box.south,
        "north": box.north,
        "west": box.west,
        "east": box.east,
        "radius": float(radius_m),
        "limit": limit,
        "weekday": local.weekday(),
        "minute": rules.minute_of_day(local),
        "moment": local,
    }
    if facilities:
        values["facilities"] = sorted(set(facilities))
    return _nearest_statement(bool(facilities), open_only), values


@dataclass
class StationPage:
    station: Station
    openings: list[rules.Opening]
    open_now: bool
    next_open: datetime | None
    inspections: list[StationInspection]
    upcoming: list[tuple[ListingSession, Listing]]
    reviews: list[StationReview]
    visits_30d: int
    photos: list[PictureOut] = field(default_factory=list)
    my_review: StationReview | None = None
    rubric: dict = field(default_factory=lambda: dict(rules.RUBRIC))


async def station_of(db: AsyncSession, market_id: int, station_id: int) -> Station:
    station = await db.get(Station, station_id)
    if station is None or station.market_id != market_id or station.archived_at is not None:
        raise NotFound("No such station.")
    return station


def photos_query(station_id: int) -> sa.Select:
    """A station's photos in their order."""
    return (
        sa.select(StationPhoto)
        .where(StationPhoto.station_id == station_id)
        .order_by(StationPhoto.position, StationPhoto.id)
    )


async def photos_of(db: AsyncSession, station_id: int) -> list[PictureOut]:
    """A station's photos in their order (the public page, the keeper's console, the API)."""
    return [pictures.out(p) for p in (await db.execute(photos_query(station_id))).scalars()]


async def openings_of(db: AsyncSession, station_id: int) -> list[rules.Opening]:
    rows = await db.execute(
        sa.select(StationOpening.weekday, StationOpening.opens, StationOpening.closes)
        .where(StationOpening.station_id == station_id)
        .order_by(StationOpening.weekday, StationOpening.opens)
    )
    return [rules.Opening(*r) for r in rows.all()]


async def page(db: AsyncSession, market_id: int, station_id: int, viewer: User | None = None) -> StationPage:
    """A station with its hours, star history, the sessions held there next, its reviews and visits."""
    station = await station_of(db, market_id, station_id)
    hours = await openings_of(db, station_id)
    local = local_now(db)
    inspections = (
        await db.execute(
            sa.select(StationInspection)
            .where(StationInspection.station_id == station_id)
            .order_by(StationInspection.created_at.desc())
            .limit(10)
        )
    ).scalars()
    upcoming = (
        await db.execute(
            sa.select(ListingSession, Listing)
            .join(Listing, Listing.id == ListingSession.listing_id)
            .where(
                Listing.station_id == station_id,
                Listing.state == ListingState.published,
                ListingSession.cancelled_at.is_(None),
                ListingSession.starts_at > utcnow(),
            )
            .order_by(ListingSession.starts_at)
            .limit(20)
        )
    ).all()
    reviews = (
        await db.execute(
            sa.select(StationReview)
            .where(StationReview.station_id == station_id)
            .order_by(StationReview.created_at.desc())
            .limit(20)
        )
    ).scalars()
    visits = await db.scalar(
        sa.select(sa.func.count())
        .select_from(StationVisit)
        .where(StationVisit.station_id == station_id, StationVisit.visited_at > utcnow() - timedelta(days=30))
    )
    mine = None
    if viewer is not None:
        mine = await db.scalar(
            sa.select(StationReview).where(StationReview.station_id == station_id, StationReview.user_id == viewer.id)
        )
    is_open, next_open = rules.open_state(hours, station.open_all_day, local, _local(station.closed_until, local))
    return StationPage(
        station=station,
        openings=hours,
        open_now=is_open,
        next_open=next_open,
        photos=await photos_of(db, station_id),
        inspections=list(inspections),
        upcoming=[(s, listing) for s, listing in upcoming],
        reviews=list(reviews),
        visits_30d=visits or 0,
        my_review=mine,
    )


@dataclass
class StationInput:
    name: str
    address: str
    lat: float
    lon: float
    open_all_day: bool = False
    openings: list[rules.Opening] = field(default_factory=list)
    facilities: list[str] = field(default_factory=list)
    contact: str = ""


def _check(data: StationInput) -> None:
    if not data.name.strip():
        raise InvalidInput("A station needs a name.", field="name")
    if not data.address.strip():
        raise InvalidInput("A station needs an address.", field="address")
    if not data.open_all_day and not data.openings:
        raise InvalidInput("Give the opening hours, or mark the station open 24 hours.", field="openings")
    unknown = set(data.facilities) - {f.value for f in rules.Facility}
    if unknown:
        raise InvalidInput("Unknown facility.", field="facilities")


async def save(db: AsyncSession, actor: User, data: StationInput, station_id: int | None = None) -> Station:
    """Record a new station or change one (its hours replaced as a whole); audited."""
    _check(data)
    if station_id is None:
        station = Station(market_id=actor.market_id, name="", address="", lat=0, lon=0)
        db.add(station)
    else:
        station = await station_of(db, actor.market_id, station_id)
    station.name, station.address = data.name.strip(), data.address.strip()
    station.lat, station.lon = rules.coordinate(data.lat), rules.coordinate(data.lon)
    station.open_all_day, station.contact = data.open_all_day, data.contact.strip()
    station.facilities = sorted(set(data.facilities))
    await db.flush()
    await db.execute(sa.delete(StationOpening).where(StationOpening.station_id == station.id))
    if not data.open_all_day:
        db.add_all(
            StationOpening(station_id=station.id, weekday=o.weekday, opens=o.opens, closes=o.closes)
            for o in data.openings
        )
    await audit.record(
        db, actor, "update_station" if station_id else "create_station", "station", station.id, name=station.name
    )
    await db.flush()
    return station


async def archive(db: AsyncSession, actor: User, station_id: int, reason: str) -> None:
    station = await station_of(db, actor.market_id, station_id)
    station.archived_at = utcnow()
    await audit.record(db, actor, "archive_station", "station", station.id, reason=reason)


async def inspect(db: AsyncSession, actor: User, station_id: int, inspection: int, note: str = "") -> StationInspection:
    """A star review by the published rubric: facilities, hours, members' ratings and this inspection."""
    if not 0 <= inspection <= rules.RUBRIC["inspection"]:
        raise InvalidInput("The inspection score is 0 to 20.", field="inspection")
    station = await station_of(db, actor.market_id, station_id)
    hours = await openings_of(db, station_id)
    points = rules.rubric_points(
        len(station.facilities), rules.weekly_hours(hours, station.open_all_day), station.rating_avg, inspection
    )
    review = StationInspection(
        station_id=station.id,
        inspector_id=actor.id,
        points=points,
        star_level=rules.star_level(points),
        note=note.strip(),
    )
    db.add(review)
    station.star_level = review.star_level
    await audit.record(db, actor, "inspect_station", "station", station.id, star_level=review.star_level)
    await db.flush()
    return review


def visit_code(db: AsyncSession, station_id: int) -> str:
    """The code printed in the station's QR poster: signed, so a visit cannot be counted without being there."""
    key = settings_of(db).key("station-visits").encode()
    return hmac.new(key, f"station:{station_id}".encode(), hashlib.sha256).hexdigest()[:16]


async def visit(db: AsyncSession, user: User, station_id: int, code: str) -> tuple[StationVisit | None, bool]:
    """Count a member's visit (a scan of the station's code); a second scan within the hour is the same visit.
    Returns the visit and whether it is new."""
    station = await station_of(db, user.market_id, station_id)
    if not hmac.compare_digest(code.encode(), visit_code(db, station.id).encode()):
        raise Forbidden("This check-in code is not this station's. Scan the code posted at the station.", field="code")
    now = utcnow()
    key = f"{station.id}:{user.id}:{now:%Y%m%d%H}"
    row = await db.scalar(
        insert(StationVisit)
        .values(
            market_id=station.market_id, station_id=station.id, user_id=user.id, groups=user.groups or [], hour_key=key
        )
        .on_conflict_do_nothing(index_elements=["hour_key"])
        .returning(StationVisit.id)
    )
    found = await db.scalar(sa.select(StationVisit).where(StationVisit.hour_key == key))
    return found, row is not None


async def rate(db: AsyncSession, user: User, station_id: int, stars: int, comment: str = "") -> StationReview:
    """A member's rating of a station (their latest one counts); the station's average follows."""
    if not 1 <= stars <= 5:
        raise InvalidInput("Give one to five stars.", field="stars")
    station = await station_of(db, user.market_id, station_id)
    await db.execute(
        insert(StationReview)
        .values(station_id=station.id, user_id=user.id, stars=stars, comment=comment.strip())
        .on_conflict_do_update(
            index_elements=["station_id", "user_id"],
            set_={"stars": stars, "comment": comment.strip(), "created_at": sa.func.now()},
        )
    )
    average, count = (
        await db.execute(
            sa.select(sa.func.avg(StationReview.stars), sa.func.count()).where(StationReview.station_id == station.id)
        )
    ).one()
    station.rating_avg, station.rating_count = (float(average) if average is not None else None), count
    return await db.scalar(
        sa.select(StationReview).where(StationReview.station_id == station.id, StationReview.user_id == user.id)
    )


@dataclass
class VisitFigures:
    total: int
    by_station: list[tuple[Station, int]]
    by_hour: list[tuple[int, int]]  # local hour of day, visits
    by_group: list[tuple[str, int]]
    by_day: list[tuple[date, int]] = field(default_factory=list)  # every local day of the period, oldest first


async def visit_figures(
    db: AsyncSession, market_id: int, days: int = 30, station_ids: list[int] | None = None
) -> VisitFigures:
    """Check-ins of the last `days` days, per station, hour of day, group and day: the market's, or only
    those of `station_ids` (a keeper's stations)."""
    since = utcnow() - timedelta(days=days)
    scope = sa.and_(StationVisit.market_id == market_id, StationVisit.visited_at > since)
    if station_ids is not None:
        scope = sa.and_(scope, StationVisit.station_id.in_(station_ids))
    stations = (
        await db.execute(
            sa.select(Station, sa.func.count(StationVisit.id))
            .join(StationVisit, sa.and_(StationVisit.station_id == Station.id, scope))
            .group_by(Station.id)
            .order_by(sa.func.count(StationVisit.id).desc(), Station.id)
        )
    ).all()
    zone = str(market_zone(db))
    local = sa.func.timezone(zone, StationVisit.visited_at)
    hour = sa.func.extract("hour", local).label("hour")
    hours = dict((await db.execute(sa.select(hour, sa.func.count()).where(scope).group_by(hour))).all())
    day = sa.cast(local, sa.Date).label("day")
    per_day = dict((await db.execute(sa.select(day, sa.func.count()).where(scope).group_by(day))).all())
    today = local_now(db).date()
    group = sa.func.unnest(StationVisit.groups).label("group")
    groups = (await db.execute(sa.select(group, sa.func.count()).where(scope).group_by(group).order_by(group))).all()
    return VisitFigures(
        total=sum(n for _, n in stations),
        by_station=[(s, n) for s, n in stations],
        by_hour=[(h, hours.get(h, 0)) for h in range(24)],
        by_group=[(g, n) for g, n in groups],
        by_day=[(d, per_day.get(d, 0)) for d in (today - timedelta(days=n) for n in range(days - 1, -1, -1))],
    )


@dataclass
class Coverage:
    area: rules.Box
    rows: int
    cols: int
    cells: list[rules.Cell]
    stations: list[Station]  # open at the moment looked at
    closed: list[Station]
    at: datetime

    @property
    def uncovered_share(self) -> float:
        return sum(not c.covered for c in self.cells) / len(self.cells) if self.cells else 0.0


async def coverage(db: AsyncSession, market_id: int, at: datetime | None = None, size: int = 24) -> Coverage:
    """Which squares of a size × size grid over the district are farther than a 15-minute walk from a
    station open at `at` (a local time; now unless asked)."""
    local = local_now(db, at)
    rows = (
        await db.execute(
            sa.select(Station, open_at(local.weekday(), rules.minute_of_day(local), local)).where(
                Station.market_id == market_id, Station.archived_at.is_(None)
            )
        )
    ).all()
    places = (await db.execute(sa.select(Landmark.lat, Landmark.lon).where(Landmark.market_id == market_id))).all()
    points = [(s.lat, s.lon) for s, _ in rows] + [tuple(p) for p in places]
    if not points:
        return Coverage(rules.Box(0, 0, 0, 0), size, size, [], [], [], local)
    margin = rules.box_around(0, 0, 1_000)  # a kilometre around the outermost stations and places
    area = rules.Box(
        min(p[0] for p in points) - margin.north,
        min(p[1] for p in points) - margin.east,
        max(p[0] for p in points) + margin.north,
        max(p[1] for p in points) + margin.east,
    )
    open_ones = [s for s, is_open in rows if is_open]
    cells = rules.coverage(area, [(s.lat, s.lon) for s in open_ones], size, size)
    return Coverage(area, size, size, cells, open_ones, [s for s, is_open in rows if not is_open], local)


async def landmarks(db: AsyncSession, market_id: int) -> list[Landmark]:
    return list(
        (await db.execute(sa.select(Landmark).where(Landmark.market_id == market_id).order_by(Landmark.id))).scalars()
    )


async def listed(db: AsyncSession, market_id: int) -> list[Station]:
    return list(
        (
            await db.execute(
                sa.select(Station)
                .where(Station.market_id == market_id, Station.archived_at.is_(None))
                .order_by(Station.name, Station.id)
            )
        ).scalars()
    )


async def recount_ratings(db: AsyncSession, market_ids) -> None:
    """Each station's average and count again from its reviews (after reviews were removed in bulk)."""
    mine = StationReview.station_id == Station.id
    await db.execute(
        sa.update(Station)
        .where(Station.market_id.in_(list(market_ids)))
        .values(
            rating_avg=sa.select(sa.func.avg(StationReview.stars)).where(mine).scalar_subquery(),
            rating_count=sa.select(sa.func.count(StationReview.id)).where(mine).scalar_subquery(),
        )
    )
