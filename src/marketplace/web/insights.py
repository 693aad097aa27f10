from litestar import Controller, get

from ..auth import for_roles
from ..domain.roles import Role
from ..schemas.insights import StatsOut
from ..services import insights
from .common import CurrentUser, Db


class InsightsController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @get("/stats", opt=for_roles(Role.curator, Role.operator))
    async def stats(self, user: CurrentUser, db: Db) -> StatsOut:
        """The union's figures (domain.md, "What the union watches")."""
        return await insights.stats(db, user.market_id)
