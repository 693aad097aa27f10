from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from ..domain.listings import MAX_NEW_SESSIONS, MAX_REPEAT_WEEKS, ListingShape, ServiceMode, weeks_until
from ..domain.roles import MemberGroup
from .common import DbId, Flag, Out, PictureOut, SessionTime, Text, Whole

Title = Text(120, min_length=2)
Summary = Text(300)
Description = Text(10_000, multiline=True)
Location = Text(200)


class SessionIn(BaseModel):
    """A session: it starts in the future, at most two years ahead, and ends after it starts."""

    starts_at: SessionTime
    ends_at: SessionTime
    capacity: Whole = Field(default=1, ge=1, le=10_000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> "SessionIn":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SessionsIn(BaseModel):
    """Sessions to add; each may repeat weekly: for `repeat_weeks` weeks (1: once), or every week up to
    and including the date `repeat_until` — at most 26 weeks either way."""

    sessions: list[SessionIn] = Field(min_length=1, max_length=200)
    repeat_weeks: Whole = Field(default=1, ge=1, le=MAX_REPEAT_WEEKS)
    repeat_until: date | None = None

    @model_validator(mode="after")
    def _one_way_to_repeat(self) -> "SessionsIn":
        if self.repeat_until is not None:
            if self.repeat_weeks != 1:
                raise ValueError("Give repeat_weeks or repeat_until, not both.")
            first = min(s.starts_at for s in self.sessions)
            if self.repeat_until < first.date():
                raise ValueError("repeat_until must not be before the first session.")
            weeks = weeks_until(first, self.repeat_until)
            if weeks > MAX_REPEAT_WEEKS:
                raise ValueError("Sessions repeat for at most 26 weeks.")
            self.repeat_weeks = weeks
        if len(self.sessions) * self.repeat_weeks > MAX_NEW_SESSIONS:
            raise ValueError("At most 200 sessions can be added at once.")
        return self


class SkippedSession(BaseModel):
    starts_at: datetime
    ends_at: datetime
    reason: str  # "clash": overlaps another session of this provider


class ListingIn(BaseModel):
    title: Title
    summary: Summary = ""
    description: Description = ""
    category_id: DbId
    shape: ListingShape
    mode: ServiceMode
    location: Location = ""
    target_groups: list[MemberGroup] = Field(default_factory=list, max_length=6)
    auto_accept: Flag = False
    verified_only: Flag = False  # only members the union verified (实名) may order it
    sessions: list[SessionIn] = Field(default_factory=list, max_length=200)
    # The invitation to list for a supply gap this listing answers (one the provider received).
    invitation_id: DbId | None = None


class ListingPatch(BaseModel):
    title: Title | None = None
    summary: Summary | None = None
    description: Description | None = None
    category_id: DbId | None = None
    mode: ServiceMode | None = None
    location: Location | None = None
    target_groups: list[MemberGroup] | None = Field(default=None, max_length=6)
    auto_accept: Flag | None = None
    verified_only: Flag | None = None


class ApproveIn(BaseModel):
    batch_id: DbId
    verified_only: Flag | None = None  # the curator's say: only verified members may order it (left out: as is)
    shared_below: Flag | None = None  # on the menus of every market below the listing's (left out: as is)


class ShareIn(BaseModel):
    shared_below: Flag


class BulkApproveIn(BaseModel):
    listing_ids: list[DbId] = Field(min_length=1, max_length=100)
    batch_id: DbId


class BulkRefusal(BaseModel):
    id: int
    detail: str  # why this listing was not approved


class BulkApproveOut(BaseModel):
    approved: list[int]
    refused: list[BulkRefusal]


class BatchIn(BaseModel):
    name: Text(100, min_length=1)


class BatchOut(Out):
    id: int
    name: str
    created_at: datetime
    listings: int = 0


class SessionOut(Out):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    seats_left: int
    waitlist_open: bool
    cancelled: bool = False


class CategoryBrief(Out):
    id: int
    name_zh: str
    name_en: str


class ProviderBrief(Out):
    id: int
    name: str
    honours: list[str] = []
    star_level: int = 0


class RatingOut(BaseModel):
    average: float | None
    count: int
    score: float | None  # small-sample-robust (Bayesian) rating, used for ranking


class ListingSummaryOut(BaseModel):
    id: int
    title: str
    summary: str
    category: CategoryBrief
    shape: str
    mode: str
    location: str
    target_groups: list[str]
    auto_accept: bool
    verified_only: bool = False  # only verified members may order it (the market may ask it of all)
    shared_below: bool = False  # on the menus of every market below the listing's market
    state: str
    provider: ProviderBrief
    rating: RatingOut
    seats_left: int | None  # None for on-request listings
    next_session_at: datetime | None
    sold_out: bool
    batch_id: int | None
    published_at: datetime | None
    picture: PictureOut | None = None  # the first picture, for the cards


class ListingOut(ListingSummaryOut):
    description: str
    rejection_reason: str | None
    sessions: list[SessionOut]
    created_at: datetime
    pictures: list[PictureOut] = []


class SessionsAddedOut(ListingOut):
    """The listing after adding sessions, with how many were added and which were skipped, and why."""

    added: int
    skipped: list[SkippedSession]
