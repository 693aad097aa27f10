from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from ..domain.listings import ServiceMode
from ..domain.review_tags import FROM_TEXT, ReviewTag
from .common import AgreedTime, DbId, Flag, Note, OptionalReason, PreferredMoment, Reason, Text, Whole


class PreferredTime(BaseModel):
    """A time that suits the member, within the need's life: from a day ago to eight days ahead."""

    starts_at: PreferredMoment
    ends_at: PreferredMoment

    @model_validator(mode="after")
    def _ends_after_start(self) -> "PreferredTime":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class OrderIn(BaseModel):
    """Either a listing order ({listing_id, session_id?, note?}) or a need ({category_id, title, …})."""

    listing_id: DbId | None = None
    session_id: DbId | None = None
    note: Note = ""
    category_id: DbId | None = None
    title: Text(120) = ""
    description: Text(4000, multiline=True) = ""
    preferred_times: list[PreferredTime] = Field(default_factory=list, max_length=10)
    mode: ServiceMode | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "OrderIn":
        if self.listing_id is None and self.category_id is None:
            raise ValueError("send listing_id to order a listed service, or category_id and title to post a need")
        if self.listing_id is not None and self.category_id is not None:
            raise ValueError("send either listing_id or category_id, not both")
        if self.category_id is not None and len(self.title) < 2:
            raise ValueError("a need needs a title of at least 2 characters")
        return self


class ReasonIn(BaseModel):
    reason: OptionalReason = ""


class RequiredReasonIn(BaseModel):
    reason: Reason


class ArrangeIn(BaseModel):
    """The agreed arrangements; `starts_at` lies from a day ago to two years ahead."""

    starts_at: AgreedTime | None = None
    place: Text(200) | None = None
    link: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://\S+$")] | None = (
        None
    )
    # How long the agreed service lasts (its service hours); without it, the session's length, else an hour.
    minutes: int | None = Field(default=None, ge=15, le=720)

    @model_validator(mode="after")
    def _something(self) -> "ArrangeIn":
        if self.starts_at is None and not self.place and not self.link:
            raise ValueError("send at least one of starts_at, place or link")
        return self


class ProposeTimeIn(BaseModel):
    """Another time the member proposes for an arrangement (in the future, at most two years ahead)."""

    starts_at: AgreedTime
    note: Note = ""


class DeliverIn(BaseModel):
    note: Note = ""
    attended: Flag = True


class AttendanceIn(BaseModel):
    present: list[DbId] = Field(default_factory=list, max_length=10_000)
    absent: list[DbId] = Field(default_factory=list, max_length=10_000)
    note: Note = ""

    @model_validator(mode="after")
    def _disjoint(self) -> "AttendanceIn":
        if set(self.present) & set(self.absent):
            raise ValueError("an order cannot be both present and absent")
        if not self.present and not self.absent:
            raise ValueError("list the orders present and absent")
        return self


class ResolveIn(BaseModel):
    outcome: Literal["received", "cancelled"]
    reason: Reason


class OfferToIn(BaseModel):
    provider_id: DbId
    reason: OptionalReason = ""


def _tag_code(value):
    # A tag named by its Chinese words (as v1 clients sent free text: "耐心") is taken as its code.
    return FROM_TEXT.get(value, value) if isinstance(value, str) else value


QuickTag = Annotated[ReviewTag, BeforeValidator(_tag_code)]


class ReviewIn(BaseModel):
    stars: Whole = Field(ge=1, le=5)
    tags: list[QuickTag] = Field(default_factory=list, max_length=len(ReviewTag))  # quick tags, by code
    text: Text(2000, multiline=True) = ""


class PartyOut(BaseModel):
    id: int | None  # None: a confidential order's member, veiled from staff who do not need them
    name: str
    phone: str | None = None  # masked; shown to the other party and staff only


class ListingRef(BaseModel):
    id: int
    title: str
    shape: str
    mode: str
    location: str


class SessionRef(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime


class OfferOut(BaseModel):
    provider_id: int
    state: str
    deadline_at: datetime | None
    score: float | None
    score_parts: dict


class OrderOut(BaseModel):
    id: int
    kind: str
    state: str
    listing: ListingRef | None
    session: SessionRef | None
    category_id: int
    title: str
    description: str
    note: str
    mode: str | None
    preferred_times: list[dict]
    member: PartyOut
    provider: PartyOut | None
    arrangement: dict
    time_agreed_at: datetime | None = None  # the member agreed to the arrangement (without a session)
    time_proposal: dict | None = None  # another time the member proposed: {starts_at, note, at}
    attended: bool | None
    delivery_note: str
    waitlist_position: int | None = None
    offer: OfferOut | None = None
    review_id: int | None = None
    actions: list[str]  # what the caller may do next
    confirm_by: datetime | None = None  # a member promoted from the waitlist confirms by then
    escalated_at: datetime | None = None  # in the operators' queue since then
    created_at: datetime
    updated_at: datetime
    # [{at, actor, actor_id, action, from, to, reason}], oldest first; on a single order only
    events: list[dict] | None = None
