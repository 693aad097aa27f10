"""Requests and answers of check-in (扫码签到) and organisation orders (团体预约)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ..domain.phones import PHONE_MAX_LENGTH, PHONE_PATTERN
from .common import DbId, Flag, Out, Text, Whole

# A mobile number as the document says it (normalised by the service, which names the roster line it refuses).
Phone = Annotated[
    str,
    Field(
        max_length=PHONE_MAX_LENGTH,
        json_schema_extra={"pattern": PHONE_PATTERN},
        description="a mainland China mobile number, e.g. 13812345678",
    ),
]
Latitude = Annotated[float | None, Field(default=None, ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float | None, Field(default=None, ge=-180, le=180, allow_inf_nan=False)]


class CheckInIn(BaseModel):
    """A code scanned from a member's phone, or its short code typed by hand."""

    code: Text(200, min_length=1)
    latitude: Latitude = None
    longitude: Longitude = None
    scanned: Flag = False  # read by the camera (else typed)


class SelfCheckInIn(BaseModel):
    """The session's own code, scanned by a member who is logged in."""

    token: Text(200, min_length=1)
    latitude: Latitude = None
    longitude: Longitude = None


class CheckInOut(Out):
    order_id: int
    session_id: int
    name: str
    state: str
    checked_in_at: datetime
    delivered: bool


class MemberCodeOut(Out):
    order_id: int
    session_id: int
    code: str
    token: str
    opens_at: datetime
    closes_at: datetime
    checked_in_at: datetime | None


class DoorRowOut(Out):
    order_id: int
    name: str
    phone: str
    state: str
    checked_in_at: datetime | None
    method: str | None


class DoorOut(Out):
    session_id: int
    session_code_url: str
    items: list[DoorRowOut]


# 团体预约 ------------------------------------------------------------------------------------------

MAX_ROSTER = 500


class OrganisationIn(BaseModel):
    name: Text(100, min_length=1)
    contact_phone: Phone
    max_share_percent: Annotated[Whole, Field(ge=1, le=100)] = 50


class OrganisationPatch(BaseModel):
    contact_phone: Phone | None = None
    max_share_percent: Annotated[Whole, Field(ge=1, le=100)] | None = None


class OrganisationOut(Out):
    id: int
    name: str
    contact_id: int | None
    contact_name: str | None
    max_share_percent: int


class PersonIn(BaseModel):
    name: Text(60, min_length=1)
    phone: Phone


class BookingIn(BaseModel):
    session_id: DbId
    people: list[PersonIn] = Field(min_length=1, max_length=MAX_ROSTER)
    swap_cutoff_hours: Annotated[Whole, Field(ge=0, le=24 * 30)] = 24


class SwapIn(BaseModel):
    name: Text(60, min_length=1)
    phone: Phone


class SeatOut(Out):
    seat_id: int
    order_id: int
    name: str
    phone: str
    state: str
    checked_in_at: datetime | None
    swapped_at: datetime | None


class BookingOut(Out):
    id: int
    organisation_id: int
    session_id: int
    listing_title: str
    starts_at: datetime
    ends_at: datetime
    swap_until: datetime
    seats: list[SeatOut]
