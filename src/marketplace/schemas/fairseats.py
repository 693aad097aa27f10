"""Quotas (限额), a session's draw (抽签) and its priority reserve (优先群体)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from ..domain.lottery import MAX_WEIGHT, PriorityGroup
from .common import AgreedTime, DbId, Out, SessionTime, Whole


class QuotaIn(BaseModel):
    """A quota over a category and everything below it (category_id null: the whole market): at most
    `max_live` live orders at once, and/or at most `max_per_period` orders in `period_days` days."""

    category_id: DbId | None = None
    max_live: Annotated[Whole, Field(ge=1, le=1000)] | None = None
    max_per_period: Annotated[Whole, Field(ge=1, le=1000)] | None = None
    period_days: Annotated[Whole, Field(ge=1, le=3660)] | None = None

    @model_validator(mode="after")
    def _something(self) -> "QuotaIn":
        if (self.max_per_period is None) != (self.period_days is None):
            raise ValueError("send max_per_period and period_days together")
        if self.max_live is None and self.max_per_period is None:
            raise ValueError("send max_live, or max_per_period with period_days")
        return self


class QuotaOut(Out):
    id: int
    category_id: int | None
    max_live: int | None
    max_per_period: int | None
    period_days: int | None
    created_at: datetime


class ReserveIn(BaseModel):
    """A share of a session's seats (percent, rounded down) kept for priority groups; first come, first served,
    the others take only the rest until `release_at` (null: until the draw or the session's start). And/or
    `weight`: in the session's draw a member of these groups holds that many tickets (1: no extra weight)."""

    percent: Annotated[Whole, Field(ge=0, le=100)]
    groups: list[PriorityGroup] = Field(default_factory=list, max_length=3)
    release_at: AgreedTime | None = None
    weight: Annotated[Whole, Field(ge=1, le=MAX_WEIGHT)] = 1

    @model_validator(mode="after")
    def _groups(self) -> "ReserveIn":
        if (self.percent > 0 or self.weight > 1) and not self.groups:
            raise ValueError("name at least one group to reserve seats for or to weigh in the draw")
        return self


class DrawIn(BaseModel):
    """Fill the session by a draw: registration from `opens_at` to `closes_at`, the draw at `draw_at` (before
    the session starts). With `confirm_hours`, winners confirm within that many hours or the seat goes on."""

    opens_at: AgreedTime
    closes_at: SessionTime
    draw_at: SessionTime
    confirm_hours: Annotated[Whole, Field(ge=1, le=168)] | None = None

    @model_validator(mode="after")
    def _in_order(self) -> "DrawIn":
        if not self.opens_at < self.closes_at <= self.draw_at:
            raise ValueError("opens_at, closes_at and draw_at must follow each other (closes_at may be draw_at)")
        return self


class DrawResult(BaseModel):
    entry: int  # the registration's order id
    ticket: str  # HMAC-SHA256(seed, str(entry)) in hex (the lowest of its `weight` tickets)
    priority: bool  # in a group the reserve is for, at the draw (which group is not published)
    weight: int = 1  # tickets held: the session's priority weight for a priority entry, else 1
    outcome: str  # won | waiting | withdrawn
    reserve: bool  # seated on the reserve


class DrawOut(BaseModel):
    """A session's draw as everyone may see it: what is published at each step, and nothing before it."""

    session_id: int
    listing_id: int
    title: str
    starts_at: datetime
    capacity: int
    state: str  # upcoming | open | closed | drawn
    opens_at: datetime
    closes_at: datetime
    draw_at: datetime
    confirm_hours: int | None
    reserve_percent: int
    reserve_groups: list[str]
    priority_weight: int  # tickets a priority entry holds in the draw (1: no extra weight)
    commitment: str
    entries: list[int] | None  # published at closing
    entries_digest: str | None
    seed: str | None  # revealed at the draw
    drawn_at: datetime | None
    seats: int | None
    reserve_seats: int | None
    results: list[DrawResult] | None
    figures: dict
    algorithm: str
