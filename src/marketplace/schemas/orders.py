from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from ..domain.listings import ServiceMode
from .common import DbId, Tag

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
OptionalReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class PreferredTime(BaseModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime

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
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""
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
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ArrangeIn(BaseModel):
    starts_at: AwareDatetime | None = None
    place: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
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


class DeliverIn(BaseModel):
    note: Note = ""
    attended: bool = True


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
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class OfferToIn(BaseModel):
    provider_id: DbId
    reason: OptionalReason = ""


class ReviewIn(BaseModel):
    stars: int = Field(ge=1, le=5)
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class PartyOut(BaseModel):
    id: int
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
