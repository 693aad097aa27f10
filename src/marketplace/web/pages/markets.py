"""The market tree on the desk: a parent market's staff see each market of their subtree with its figures,
and its curator adds a market below (province → city → district)."""

from datetime import timedelta

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from ...domain.roles import Role
from ...models.base import utcnow
from ...schemas.markets import MarketIn
from ...services import market_tree, markets
from ..common import Db
from .common import PAGE_DEPENDENCIES, PageUser, attempt, form_of, need, page, redirect, refusal, validate

FIGURES_DAYS = 30  # the orders column counts the last month's


async def _markets_page(request: Request, db, user, status: int = 200, **context) -> Template:
    tree = await market_tree.tree(db, user.market_id)
    figures = await markets.figures_by_market(db, [m.id for m, _ in tree], utcnow() - timedelta(days=FIGURES_DAYS))
    rows = [{"market": m, "depth": depth, **figures[m.id]} for m, depth in tree]
    totals = {k: sum(r[k] for r in rows) for k in ("people", "providers", "listings", "orders")}
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return page(request, "desk/markets.html", user, status, rows=rows, totals=totals, days=FIGURES_DAYS, **context)


class MarketPages(Controller):
    path = "/desk/markets"
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/")
    async def subtree(self, request: Request, page_user: PageUser, db: Db) -> Template:
        return await _markets_page(request, db, need(page_user, Role.curator, Role.operator))

    @post("/")
    async def add(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        fields = {k: values.get(k) or None for k in ("slug", "name_zh", "name_en", "parent_id")}
        data, errors = validate(request, MarketIn, {k: v for k, v in fields.items() if v is not None})
        if data is not None:
            work = lambda: market_tree.add_below(  # noqa: E731
                db, user, data.slug, data.name_zh, data.name_en, data.parent_id
            )
            _, exc = await attempt(db, work)
            if exc is None:
                return redirect("/desk/markets", "created")
            _, errors = refusal(request, exc, "slug")
        return await _markets_page(request, db, user, 400, values=values, errors=errors)
