"""The union's figures (domain.md, "What the union watches")."""

from datetime import datetime

from pydantic import BaseModel


class DomainFigures(BaseModel):
    domain_id: int
    name_zh: str
    name_en: str
    listings: int  # published
    seats: int  # in upcoming sessions
    seats_left: int


class BatchFigures(BaseModel):
    batch_id: int
    name: str
    listings: int
    seats: int
    seats_taken: int


class FunnelStage(BaseModel):
    stage: str  # ordered, accepted, delivered, received, reviewed
    orders: int  # orders that ever reached it
    share_of_previous: float | None = None  # conversion from the stage before (None for the first)


class ReviewFigures(BaseModel):
    count: int
    average: float | None
    satisfied_share: float | None  # share of 4–5 star reviews
    histogram: dict[int, int]


class ReorderFigures(BaseModel):
    orders: int  # listing orders
    reorders: int  # placed with 再来一单
    rate: float | None


class UnmetNeed(BaseModel):
    category_id: int
    name_zh: str
    name_en: str
    needs: int  # needs no provider has taken (waiting or expired)
    listings: int  # published listings in that category


class ProviderFigures(BaseModel):
    id: int
    name: str
    star_level: int
    rating_avg: float | None
    delivered: int


class ProviderActivity(BaseModel):
    total: int
    active_90_days: int  # delivered at least once in the last 90 days
    by_star_level: dict[int, int]
    top: list[ProviderFigures]


class Durations(BaseModel):
    orders: int
    median_hours: float | None
    average_hours: float | None


class TrendPoint(BaseModel):
    starts: datetime  # the local start of the day, week or month
    ordered: int
    delivered: int
    reviewed: int
    average_stars: float | None


class Trend(BaseModel):
    unit: str  # day, week or month
    points: list[TrendPoint]


class StatsOut(BaseModel):
    listings_by_domain: list[DomainFigures]
    listings_by_batch: list[BatchFigures]
    funnel: list[FunnelStage]
    orders_by_state: dict[str, int]
    visits_served: int
    members_served: int
    reviews: ReviewFigures
    reorder: ReorderFigures
    unmet_needs: list[UnmetNeed]
    providers: ProviderActivity
    to_acceptance: Durations
    to_delivery: Durations
    period: str = "all"  # 7d, 30d, 90d, year or all: the orders and reviews counted began in it
    since: datetime | None = None
    trend: Trend | None = None
