"""Stations for outdoor workers (工会驿站): opening hours, walking distance, the 15-minute rest circle
and the published star rubric. Pure rules, no I/O."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

EARTH_RADIUS_M = 6_371_000
# Streets are not straight lines: a walk is about 1.3 × the straight distance (a common urban detour
# factor), at 75 m a minute (4.5 km/h).
DETOUR = 1.3
WALK_M_PER_MINUTE = 75
CIRCLE_MINUTES = 15  # the 15-minute rest circle (15分钟休息圈)
DAY_MINUTES = 24 * 60


class Facility(StrEnum):
    hot_water = "hot_water"  # 热水
    microwave = "microwave"  # 微波炉
    charging = "charging"  # 充电
    first_aid = "first_aid"  # 医药箱
    toilet = "toilet"  # 卫生间
    books = "books"  # 书吧
    air_conditioning = "air_conditioning"  # 空调
    seats = "seats"  # 休息座椅
    wifi = "wifi"  # 无线网络


@dataclass(frozen=True)
class Opening:
    """Open on `weekday` (0 = Monday) from `opens` to `closes`, in minutes after local midnight; a night
    opening past midnight is two openings, one on each day."""

    weekday: int
    opens: int
    closes: int

    def __post_init__(self) -> None:
        if not (0 <= self.weekday <= 6 and 0 <= self.opens < self.closes <= DAY_MINUTES):
            raise ValueError("an opening is a weekday 0–6 and a time range within that day")


# Coordinates are kept and searched to 7 decimal places (about a centimetre): finer digits mean nothing on
# the ground, and a difference of two such tiny numbers squared underflows PostgreSQL's float8 arithmetic.
COORDINATE_DIGITS = 7


def coordinate(value: float) -> float:
    return round(value, COORDINATE_DIGITS) + 0.0  # + 0.0: never a negative zero


def minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def is_open(hours: Sequence[Opening], open_all_day: bool, local: datetime) -> bool:
    if open_all_day:
        return True
    now = minute_of_day(local)
    return any(o.weekday == local.weekday() and o.opens <= now < o.closes for o in hours)


def next_opening(hours: Sequence[Opening], open_all_day: bool, local: datetime) -> datetime | None:
    """When the station next opens after `local` (a local time); None when it is open now or has no hours."""
    if open_all_day or is_open(hours, open_all_day, local):
        return None
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    now = minute_of_day(local)
    for days in range(8):
        day = midnight + timedelta(days=days)
        starts = sorted(o.opens for o in hours if o.weekday == day.weekday() and (days > 0 or o.opens > now))
        if starts:
            return day + timedelta(minutes=starts[0])
    return None


def open_state(
    hours: Sequence[Opening], open_all_day: bool, local: datetime, closed_until: datetime | None = None
) -> tuple[bool, datetime | None]:
    """Open now, and when it next opens (None: open now, or no hours). A temporary closure (`closed_until`,
    in the same zone as `local`) keeps it closed until then, whatever its hours say."""
    if closed_until is None or local >= closed_until:
        is_open_now = is_open(hours, open_all_day, local)
        return is_open_now, None if is_open_now else next_opening(hours, open_all_day, local)
    if open_all_day or is_open(hours, open_all_day, closed_until):
        return False, closed_until
    return False, next_opening(hours, open_all_day, closed_until)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle (haversine) distance in metres; the SQL in services/stations.py is the same formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def walking_minutes(metres: float) -> int:
    return max(1, math.ceil(metres * DETOUR / WALK_M_PER_MINUTE))


def circle_radius_m(minutes: int = CIRCLE_MINUTES) -> float:
    """The straight-line distance a walk of `minutes` covers."""
    return minutes * WALK_M_PER_MINUTE / DETOUR


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float


def box_around(lat: float, lon: float, radius_m: float) -> Box:
    """A latitude/longitude box holding every point within `radius_m` of (lat, lon): the indexed first cut of
    the nearest-station query, exact distance after."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 0.01)))
    return Box(lat - dlat, lon - dlon, lat + dlat, lon + dlon)


@dataclass(frozen=True)
class Cell:
    """One square of the coverage grid: its centre and the walk to the nearest open station (None: none)."""

    row: int
    col: int
    lat: float
    lon: float
    minutes: int | None

    @property
    def covered(self) -> bool:
        return self.minutes is not None and self.minutes <= CIRCLE_MINUTES


def coverage(area: Box, stations: Iterable[tuple[float, float]], rows: int, cols: int) -> list[Cell]:
    """The walk from the centre of each of rows × cols squares over `area` to its nearest station."""
    points = list(stations)
    cells = []
    for r in range(rows):
        lat = area.north - (r + 0.5) * (area.north - area.south) / rows
        for c in range(cols):
            lon = area.west + (c + 0.5) * (area.east - area.west) / cols
            nearest = min((distance_m(lat, lon, s_lat, s_lon) for s_lat, s_lon in points), default=None)
            cells.append(Cell(r, c, lat, lon, None if nearest is None else walking_minutes(nearest)))
    return cells


# The published star rubric (星级评定): points out of 100, read on the station page.
RUBRIC = {
    "facilities": 30,  # 3 points for each facility, up to 10
    "hours": 25,  # open all day, or up to 25 points by weekly opening hours (84 h a week or more is full)
    "ratings": 25,  # members' average rating: (average − 1) / 4 of 25 points; none yet counts as 3 stars
    "inspection": 20,  # the union's last inspection, scored 0–20
}
STAR_THRESHOLDS = ((90, 5), (75, 4), (60, 3), (40, 2), (0, 1))


def weekly_hours(hours: Sequence[Opening], open_all_day: bool) -> float:
    return 168.0 if open_all_day else sum(o.closes - o.opens for o in hours) / 60


def rubric_points(
    facilities: int, hours_a_week: float, average_rating: float | None, inspection: int
) -> dict[str, int]:
    rating = 3.0 if average_rating is None else average_rating
    return {
        "facilities": min(facilities, 10) * 3,
        "hours": round(min(hours_a_week, 84) / 84 * RUBRIC["hours"]),
        "ratings": round((min(max(rating, 1), 5) - 1) / 4 * RUBRIC["ratings"]),
        "inspection": min(max(inspection, 0), RUBRIC["inspection"]),
    }


def star_level(points: dict[str, int]) -> int:
    total = sum(points.values())
    return next(stars for floor, stars in STAR_THRESHOLDS if total >= floor)
