"""Service hours (志愿服务时长): a provider's own record, the union's totals."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from ..auth import for_roles
from ..domain.roles import Role
from ..schemas.service_hours import (
    DomainTotal,
    HoursEntry,
    HoursTotal,
    MarketHoursOut,
    ProviderHoursOut,
    ProviderTotal,
    YearHours,
)
from ..services import service_hours
from .common import CurrentUser, Db

YearQuery = Annotated[int | None, QueryParameter(ge=2000, le=2100)]


def _total(total) -> dict:
    return {"hours": total.hours, "services": total.services, "orders": total.orders}


class ServiceHoursController(Controller):
    tags = ["service hours"]

    @get("/api/v1/provider/hours", opt=for_roles(Role.provider))
    async def mine(self, user: CurrentUser, db: Db, year: YearQuery = None) -> ProviderHoursOut:
        record = await service_hours.for_provider(db, user, year)
        return ProviderHoursOut(
            years=[YearHours(year=y, **_total(t)) for y, t in record.years.items()],
            year=record.year,
            items=[HoursEntry.model_validate(e, from_attributes=True) for e in record.entries],
        )

    @get("/api/v1/admin/hours", opt=for_roles(Role.curator))
    async def union(self, user: CurrentUser, db: Db, year: YearQuery = None) -> MarketHoursOut:
        found = await service_hours.for_market(db, user.market_id, year)
        domains = sorted(found.domains.items(), key=lambda kv: (-kv[1].hours, kv[0]))
        return MarketHoursOut(
            years=found.years,
            year=found.year,
            total=HoursTotal(**_total(found.total)),
            providers=[ProviderTotal(provider_id=p.id, name=p.name, **_total(t)) for p, t in found.providers],
            domains=[DomainTotal(domain_id=d, **_total(t)) for d, t in domains],
        )
