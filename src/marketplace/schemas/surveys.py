"""Questionnaire imports, the needs classification list, supply gaps and invitations over the API."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from .common import DbId, Out
from .imports import TableImportOut

Column = Annotated[int, Field(ge=0, le=999)]


def _day_as_sent(value: object) -> object:
    # pydantic would read a number as a Unix time: a day is written "YYYY-MM-DD"
    if value is not None and not isinstance(value, str | date):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_day_as_sent)]


class MappingIn(BaseModel):
    """Which column (0 = the first) holds what; the need is required, the rest may be left out."""

    need: Column
    group: Column | None = None
    district: Column | None = None
    age_band: Column | None = None
    mode: Column | None = None
    times: Column | None = None
    answered_at: Column | None = None


class SurveyErrorOut(BaseModel):
    row: int  # the row's number in the file (the header row is 1)
    reason: str


class SurveyImportOut(TableImportOut):
    classified_rows: int


class PreviewRowOut(BaseModel):
    row: int
    text: str | None = None
    group: str | None = None
    district: str | None = None
    age_band: str | None = None
    mode: str | None = None
    times: str | None = None
    answered_at: datetime | None = None
    fault: str | None = None


class PreviewOut(BaseModel):
    mapping: dict[str, int]
    items: list[PreviewRowOut]


class SurveyErrorsOut(BaseModel):
    items: list[SurveyErrorOut]
    total: int


class SurveyImportsOut(BaseModel):
    items: list[SurveyImportOut]
    total: int


class NeedsRowOut(BaseModel):
    category_id: int
    domain_id: int
    name_zh: str
    name_en: str
    survey: int
    posted: int
    waitlist: int
    total: int
    groups: dict[str, int]
    districts: dict[str, int]
    typical: list[str]
    words: list[str]


class TrendOut(BaseModel):
    domain_id: int
    counts: list[int]


class NeedsListOut(BaseModel):
    since: datetime
    until: datetime
    total: int
    unclassified: int
    items: list[NeedsRowOut]
    months: list[str]
    trend: list[TrendOut]


class GapOut(BaseModel):
    category_id: int
    domain_id: int
    name_zh: str
    name_en: str
    demand: int
    survey: int
    posted: int
    waitlist: int
    expired: int
    listings: int
    sessions: int
    seats: int
    seats_taken: int
    providers: int
    gap: int
    invitations: int
    invited: int
    answered_listings: int
    answered_seats: int


class GapsOut(BaseModel):
    since: datetime
    until: datetime
    items: list[GapOut]


class InviteIn(BaseModel):
    category_id: DbId
    # the period of the gap (the market's days, "YYYY-MM-DD"; default: the last year to today)
    since: Day | None = None
    until: Day | None = None


class InvitationOut(Out):
    id: int
    category_id: int
    demand: int
    summary: str
    provider_ids: list[int]
    period_from: datetime
    period_to: datetime
    created_at: datetime
