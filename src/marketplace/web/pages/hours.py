"""Service hours (志愿服务时长) on the pages: a provider's yearly record and certificate, the union's totals."""

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from ...domain.roles import Role
from ...errors import NotFound
from ...models import Market, User
from ...models.base import utcnow
from ...services import categories, service_hours
from ..common import Db, IdParam
from .common import PAGE_DEPENDENCIES, PageUser, flat_categories, need, page

Year = Annotated[int, Parameter(ge=2000, le=2100)]
MaybeYear = Annotated[int | None, QueryParameter(ge=2000, le=2100)]


async def _domain_names(db, market_id: int) -> dict[int, tuple[str, str]]:
    return {id_: (zh, en) for id_, zh, en, _ in flat_categories((await categories.tree(db, market_id, True)).items)}


async def _certificate(request: Request, db, viewer: User, provider: User, year: int) -> Template:
    record = await service_hours.for_provider(db, provider, year)
    if year not in record.years:
        raise NotFound("No service hours in that year.")
    market = await db.get(Market, provider.market_id)
    return page(
        request,
        "hours/certificate.html",
        viewer,
        record=record,
        total=record.years[year],
        market=market,
        names=await _domain_names(db, provider.market_id),
        today=utcnow(),
    )


class HoursPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/provider/hours")
    async def mine(self, request: Request, page_user: PageUser, db: Db, year: MaybeYear = None) -> Template:
        user = need(page_user, Role.provider)
        record = await service_hours.for_provider(db, user, year)
        names = await _domain_names(db, user.market_id)
        return page(request, "provider/hours.html", user, record=record, names=names)

    @get("/provider/hours/{year:int}/certificate")
    async def my_certificate(self, request: Request, year: Year, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.provider)
        return await _certificate(request, db, user, user, year)

    @get("/desk/hours")
    async def union(self, request: Request, page_user: PageUser, db: Db, year: MaybeYear = None) -> Template:
        user = need(page_user, Role.curator)
        found = await service_hours.for_market(db, user.market_id, year)
        names = await _domain_names(db, user.market_id)
        return page(request, "desk/hours.html", user, found=found, names=names)

    @get("/desk/hours/{provider_id:int}/{year:int}/certificate")
    async def certificate(
        self, request: Request, provider_id: IdParam, year: Year, page_user: PageUser, db: Db
    ) -> Template:
        user = need(page_user, Role.curator)
        provider = await db.get(User, provider_id)
        if provider is None or provider.market_id != user.market_id or Role.provider not in provider.roles:
            raise NotFound("No such provider.")
        return await _certificate(request, db, user, provider, year)
