"""The satisfaction figures (满意度测评) over the API: rates of a period, its trend and its breakdown."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Breakdown = Literal["listing", "provider", "domain", "batch"]


class Rates(BaseModel):
    signed_off: int  # orders signed off (签收) in the period: the survey's audience
    answered: int  # of them, surveys answered
    satisfied: int  # answers of 4–5 ("satisfied", "very satisfied")
    recommend: int  # answers saying they would recommend the service
    poor: int  # answers that opened a follow-up case (1–2, or not as arranged)
    response_rate: float | None  # answered / signed_off (None when nothing was signed off)
    satisfaction_rate: float | None  # satisfied / answered (None when nobody answered)
    recommend_rate: float | None  # recommend / answered


class RatesRow(Rates):
    id: int | None  # the listing, provider, domain or batch (None: orders outside any, e.g. needs without batch)
    name: str
    name_en: str


class RatesPoint(Rates):
    starts: datetime  # the day, week or month


class SatisfactionOut(BaseModel):
    period: str
    since: datetime | None
    by: Breakdown
    total: Rates
    unit: str  # the trend's unit: day, week or month
    trend: list[RatesPoint]
    rows: list[RatesRow]  # most answers first, at most 200
