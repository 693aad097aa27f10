"""The union hotline (12351) over the API."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from .common import DbId, Note, Reason, Text
from .orders import OrderIn


def _day_as_text(value: object) -> object:
    """A day is written YYYY-MM-DD: a number is not taken for seconds since 1970."""
    if not isinstance(value, str | date):
        raise ValueError("give the day as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_day_as_text)]
Topic = Literal["order", "cancel", "need", "question", "complaint", "other"]
Outcome = Literal["resolved", "referred", "follow_up"]


class LookupIn(BaseModel):
    """The caller's full phone number or union card number, and why their record is opened."""

    phone: Annotated[str, Field(max_length=20)] | None = None
    card: Text(30) | None = None
    reason: Reason


class CallerOut(BaseModel):
    id: int
    name: str
    phone: str  # in full: the operator typed it, or the caller gave their card
    union_card: str | None
    groups: list[str]


class CallOut(BaseModel):
    id: int
    member: CallerOut | None
    operator_id: int
    reason: str
    topic: str
    outcome: str
    note: str
    follow_up_on: date | None
    started_at: datetime
    ended_at: datetime | None


class CallOrderIn(BaseModel):
    listing_id: DbId
    session_id: DbId | None = None
    note: Note = ""


class CallNeedIn(OrderIn):
    """A need posted for the caller: category_id and title, as a member posts one."""


class CallCancelIn(BaseModel):
    reason: Reason


class CallEndIn(BaseModel):
    topic: Topic
    outcome: Outcome
    note: Note = ""
    follow_up_on: Day | None = None


class CallLogIn(CallEndIn):
    """A call that needed no member's record."""
