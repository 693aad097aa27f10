"""The satisfaction survey after sign-off and the follow-up cases, over the API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from ..domain.satisfaction import CaseOutcome, CaseState


class SurveyIn(BaseModel):
    overall: int = Field(ge=1, le=5)  # how satisfied, 1–5
    as_arranged: bool  # did the service happen as arranged?
    recommend: bool  # would you recommend it to a workmate?
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class SurveyOut(BaseModel):
    order_id: int
    overall: int
    as_arranged: bool
    recommend: bool
    comment: str
    created_at: datetime
    case_id: int | None  # the follow-up case a poor answer opened


class CaseNoteIn(BaseModel):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CaseResolveIn(CaseNoteIn):
    outcome: CaseOutcome  # what came of the case


class CaseOut(BaseModel):
    id: int
    order_id: int
    order_title: str
    member_name: str
    member_phone: str  # masked
    state: CaseState
    # the survey's answers (None when a poor review opened the case and no survey was answered)
    overall: int | None
    as_arranged: bool | None
    recommend: bool | None
    comment: str
    stars: int | None  # the review's stars, when the order was reviewed
    opened_at: datetime
    contacted_at: datetime | None
    contact_note: str
    resolved_at: datetime | None
    resolution: str
    outcome: CaseOutcome | None
    escalated_at: datetime | None  # overdue: escalated to the curators
