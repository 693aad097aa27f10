from litestar import Controller, get

from ..auth import require_role
from ..domain.roles import Role
from ..schemas.insights import StatsOut
from ..services import insights
from .common import CurrentUser, Db


class InsightsController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @get("/stats")
    async def stats(self, user: CurrentUser, db: Db) -> StatsOut:
        """The union's figures (domain.md, "What the union watches")."""
        require_role(user, Role.curator, Role.operator)
        return await insights.stats(db, user.market_id)
