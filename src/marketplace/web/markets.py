"""The market tree for a parent market's curator: the subtree, and a new market below it."""

from litestar import Controller, get, post
from litestar.params import JSONBody

from ..auth import for_roles
from ..domain.roles import Role
from ..schemas.markets import MarketIn, MarketOut
from ..services import market_tree
from .common import CurrentUser, Db


def _out(market, depth: int) -> MarketOut:
    return MarketOut(depth=depth, **market.model_dump(include=set(MarketOut.model_fields) - {"depth"}))


class MarketAdminController(Controller):
    path = "/api/v1/admin/markets"
    tags = ["admin"]

    @get("/", opt=for_roles(Role.curator, Role.operator))
    async def subtree(self, user: CurrentUser, db: Db) -> list[MarketOut]:
        """The staff member's market and every market below it, in tree order."""
        return [_out(m, depth) for m, depth in await market_tree.tree(db, user.market_id)]

    @post("/", opt=for_roles(Role.curator))
    async def add(self, data: JSONBody[MarketIn], user: CurrentUser, db: Db) -> MarketOut:
        """A market under the curator's own market (or under `parent_id`, a market below it); at most four
        levels deep. A taken slug is refused (409)."""
        market = await market_tree.add_below(db, user, data.slug, data.name_zh, data.name_en, data.parent_id)
        return _out(market, await market_tree.depth_of(db, market.id) - await market_tree.depth_of(db, user.market_id))
