from typing import Literal
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.params import FromQuery

from ..auth import for_roles
from ..domain.periods import DEFAULT_PERIOD
from ..domain.roles import Role
from ..schemas.insights import StatsOut
from ..schemas.satisfaction_figures import Breakdown, SatisfactionOut
from ..services import insights, market_tree, satisfaction_figures
from .common import CurrentUser, Db

Period = Literal["7d", "30d", "90d", "year", "all"]


class InsightsController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @get("/stats", opt=for_roles(Role.curator, Role.operator))
    async def stats(
        self, request: Request, user: CurrentUser, db: Db, period: FromQuery[Period] = DEFAULT_PERIOD
    ) -> StatsOut:
        """The union's figures (domain.md, "What the union watches"); orders, reviews and durations of the
        `period` (7d, 30d, 90d, year — from 1 January — or all), with its trend per day, week or month."""
        zone = ZoneInfo(request.app.state.settings.time_zone)
        return await insights.stats(db, await market_tree.staff_markets(db, user), period, zone)

    @get("/satisfaction", opt=for_roles(Role.curator, Role.operator))
    async def satisfaction(
        self,
        request: Request,
        user: CurrentUser,
        db: Db,
        period: FromQuery[Period] = DEFAULT_PERIOD,
        by: FromQuery[Breakdown] = "domain",
    ) -> SatisfactionOut:
        """满意度测评: of the orders signed off in the `period`, the response rate, the satisfaction rate (answers
        of 4–5) and the recommend rate, with the trend per day, week or month and a row per listing,
        provider, domain or batch (`by`)."""
        zone = ZoneInfo(request.app.state.settings.time_zone)
        return await satisfaction_figures.figures(db, user.market_id, period, by, zone)
