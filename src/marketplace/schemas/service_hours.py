"""Service hours (志愿服务时长) over the API."""

from datetime import datetime

from pydantic import BaseModel


class HoursTotal(BaseModel):
    hours: float
    services: int  # sessions and sessionless orders given
    orders: int  # members served


class YearHours(HoursTotal):
    year: int


class HoursEntry(BaseModel):
    starts_at: datetime
    title: str
    domain_id: int
    hours: float
    orders: int


class ProviderHoursOut(BaseModel):
    years: list[YearHours]  # newest first
    year: int | None  # the year of `items`
    items: list[HoursEntry]


class ProviderTotal(HoursTotal):
    provider_id: int
    name: str


class DomainTotal(HoursTotal):
    domain_id: int


class MarketHoursOut(BaseModel):
    years: list[int]
    year: int | None
    total: HoursTotal
    providers: list[ProviderTotal]  # most hours first
    domains: list[DomainTotal]
