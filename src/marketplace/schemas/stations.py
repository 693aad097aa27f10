"""Union stations (工会驿站) over the API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from ..domain.stations import DAY_MINUTES, Facility
from .common import Flag, Text, Whole

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
    star_level: int | None
    rating_avg: float | None
    rating_count: int


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
