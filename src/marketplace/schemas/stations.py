"""Union stations (工会驿站) over the API."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from ..domain.stations import DAY_MINUTES, Facility
from .common import DbId, Flag, Page, PictureOut, SessionTime, Text, Whole

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class OpeningIO(BaseModel):
    weekday: Annotated[Whole, Field(ge=0, le=6)]  # 0 = Monday
    opens: Annotated[Whole, Field(ge=0, lt=DAY_MINUTES)]  # minutes after local midnight
    closes: Annotated[Whole, Field(ge=1, le=DAY_MINUTES)]

    @model_validator(mode="after")
    def _in_order(self) -> "OpeningIO":
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens (split a night opening at midnight)")
        return self


class StationIn(BaseModel):
    name: Text(100, min_length=1)
    address: Text(200, min_length=1)
    lat: Latitude
    lon: Longitude
    open_all_day: Flag = False
    openings: Annotated[list[OpeningIO], Field(max_length=28)] = []
    facilities: Annotated[list[Facility], Field(max_length=len(Facility))] = []
    contact: Text(100) = ""


class StationOut(BaseModel):
    id: int
    name: str
    address: str
    lat: float
    lon: float
    open_all_day: bool
    openings: list[OpeningIO]
    facilities: list[Facility]
    contact: str
    notice: str = ""  # the keeper's word to visitors
    closed_until: datetime | None = None  # temporarily closed until then, whatever the hours say
    star_level: int | None
    rating_avg: float | None
    rating_count: int
    photos: list[PictureOut] = []


class NearbyOut(StationOut):
    metres: int
    walking_minutes: int
    open_now: bool
    next_open: datetime | None  # when closed now: the next opening, in the market's time zone


class NearbyPage(BaseModel):
    items: list[NearbyOut]
    radius_m: int


class InspectionIn(BaseModel):
    inspection: Annotated[Whole, Field(ge=0, le=20)]  # the inspector's score, 0–20 of the rubric's 100
    note: Text(500, multiline=True) = ""


class InspectionOut(BaseModel):
    id: int
    station_id: int
    points: dict[str, int]
    star_level: int
    note: str
    created_at: datetime


class VisitIn(BaseModel):
    code: Text(32, min_length=1)  # from the QR code posted at the station


class VisitOut(BaseModel):
    station_id: int
    visited_at: datetime
    new: bool  # False: a second scan within the hour, the same visit


class StationReviewIn(BaseModel):
    stars: Annotated[Whole, Field(ge=1, le=5)]
    comment: Text(500, multiline=True) = ""


class StationReviewOut(BaseModel):
    station_id: int
    stars: int
    comment: str
    created_at: datetime
    rating_avg: float | None
    rating_count: int


class KeeperStationIn(BaseModel):
    """What a station's keeper (or a curator) changes: hours, facilities, contact, notice, closure."""

    open_all_day: Flag = False
    openings: Annotated[list[OpeningIO], Field(max_length=28)] = []
    facilities: Annotated[list[Facility], Field(max_length=len(Facility))] = []
    contact: Text(100) = ""
    notice: Text(200) = ""
    closed_until: SessionTime | None = None  # temporarily closed until then; null: not closed


class KeeperIn(BaseModel):
    """A person of the market to keep the station: by account id or by phone number."""

    user_id: DbId | None = None
    phone: Annotated[str | None, Field(max_length=40)] = None

    @model_validator(mode="after")
    def _someone(self) -> "KeeperIn":
        if self.user_id is None and not (self.phone or "").strip():
            raise ValueError("give the keeper's user_id or phone")
        return self


class KeeperOut(BaseModel):
    user_id: int
    name: str
    phone: str  # masked
    since: datetime


class PhotoOrderIn(BaseModel):
    ids: Annotated[list[DbId], Field(min_length=1, max_length=20)]  # every photo of the station once, first shown first


class DayCount(BaseModel):
    day: date
    visits: int


class HourCount(BaseModel):
    hour: int  # local hour of day
    visits: int


class GroupCount(BaseModel):
    group: str
    visits: int


class KeeperFiguresOut(BaseModel):
    """A station's visits of the last 30 days (per day, hour of day and group) and its members' ratings."""

    station_id: int
    visits: int
    by_day: list[DayCount]
    by_hour: list[HourCount]
    by_group: list[GroupCount]
    rating_avg: float | None
    rating_count: int
    ratings: list[StationReviewOut]


class DeskStationOut(BaseModel):
    id: int
    name: str
    address: str
    area: str | None
    star_level: int | None
    rating_avg: float | None
    rating_count: int
    open_now: bool
    keepers: int


DeskStationPage = Page[DeskStationOut]
