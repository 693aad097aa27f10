"""抽签公示 (a session's published draw, with how to check it) and the desk's quotas (限额)."""

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from ...domain.lottery import PriorityGroup
from ...domain.roles import Role
from ...errors import NotFound
from ...models.base import utcnow
from ...schemas.fairseats import DrawIn, QuotaIn, ReserveIn
from ...services import categories, lottery, quotas
from ..common import Db, IdParam
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    attempt,
    flat_categories,
    form_of,
    kept,
    need,
    page,
    page_of,
    refusal,
    search_box,
    validate,
)
from .desk import DESK_PAGE
from .i18n import local_input, parse_local
from .once import once

RESULT_ROWS = 200  # the page lists the first rows of the draw order; the JSON has them all


class FairSeatPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/draws/{session_id:int}")
    async def draw(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template:
        published = await lottery.public(db, session_id)
        mine = set()
        if page_user is not None and published.results:
            mine = {r.entry for r in published.results} & await lottery.entries_of(db, page_user.id, session_id)
        ranks = {r.entry: n for n, r in enumerate(published.results or [], start=1)}
        return page(
            request,
            "member/draw.html",
            page_user,
            draw=published,
            rows=(published.results or [])[:RESULT_ROWS],
            mine=sorted(mine),
            ranks=ranks,
            shown=RESULT_ROWS,
            request_base=str(request.base_url).rstrip("/"),
            staff=page_user is not None and bool({"curator", "operator"} & set(page_user.roles)),
        )

    @get("/desk/sessions/{session_id:int}/seats")
    async def seats(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator, Role.operator)
        return await _seats(request, db, user, session_id)

    @post("/desk/sessions/{session_id:int}/reserve")
    async def set_reserve(
        self, request: Request, session_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """优先名额与加权: a share of the seats kept for groups, and/or their extra weight in the draw."""
        user = need(page_user, Role.curator)
        values = await form_of(request)
        groups = values.get("groups") or []
        fields = {
            "percent": values.get("percent") or "0",
            "groups": [groups] if isinstance(groups, str) else groups,
            "weight": values.get("weight") or "1",
            "release_at": _moment(request, values.get("release_at")),
        }
        use_case = lottery.set_reserve
        return await _setup(request, db, user, session_id, "reserve", values, ReserveIn, fields, use_case)

    @post("/desk/sessions/{session_id:int}/draw")
    async def set_draw(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        """抽签: the session is filled by a draw, registration open over a window, drawn at a published time."""
        user = need(page_user, Role.curator)
        values = await form_of(request)
        fields = {k: _moment(request, values.get(k)) for k in ("opens_at", "closes_at", "draw_at")}
        fields["confirm_hours"] = values.get("confirm_hours") or None
        return await _setup(request, db, user, session_id, "draw", values, DrawIn, fields, lottery.configure)

    @get("/desk/quotas")
    async def quotas_page(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator, Role.operator)
        return await _quotas(request, db, user)

    @post("/desk/quotas")
    async def create_quota(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        fields = {k: (values.get(k) or None) for k in ("category_id", "max_live", "max_per_period", "period_days")}
        data, errors = validate(request, QuotaIn, fields)
        status = 400
        if data is not None:

            async def work() -> str:
                await quotas.create(db, user, data)
                return "/desk/quotas?ok=created"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc)
        return await _quotas(request, db, user, status, values=values, errors=errors)

    @post("/desk/quotas/{quota_id:int}/delete")
    async def delete_quota(self, request: Request, quota_id: IdParam, page_user: PageUser, db: Db) -> Redirect:
        user = need(page_user, Role.curator)

        async def work() -> str:
            try:
                await quotas.delete(db, user, quota_id)
            except NotFound:
                pass  # deleted already (a second tap)
            return "/desk/quotas?ok=quota_deleted"

        return Redirect(await once(request, db, user, work), status_code=303)


def _moment(request: Request, text) -> object:
    """A `datetime-local` field: the time it means in the market's zone; what was sent when it is none."""
    if not text or not isinstance(text, str):
        return None
    return parse_local(request, text) or text


async def _setup(request, db, user, session_id: int, form: str, values, model, fields, use_case):
    """Run a session's setup form (`draw` or `reserve`) once; refused, the page again with why."""
    data, errors = validate(request, model, fields)
    status = 400
    if data is not None:

        async def run() -> str:
            await use_case(db, user, session_id, data)
            return f"/desk/sessions/{session_id}/seats?ok={form}_set"

        location, exc = await attempt(db, lambda: once(request, db, user, run))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc)
    return await _seats(request, db, user, session_id, status, {form: values}, {form: errors})


async def _seats(request: Request, db, user, session_id: int, status: int = 200, values=None, errors=None) -> Template:
    figures = await lottery.seat_figures(db, user, session_id)
    session, draw = figures["session"], figures["draw"]
    reserve_values = {
        "percent": session.reserve_percent,
        "weight": session.priority_weight,
        "release_at": local_input(request, session.reserve_release_at),
    }
    draw_values = {}
    if draw is not None:
        draw_values = {k: local_input(request, getattr(draw, k)) for k in ("opens_at", "closes_at", "draw_at")}
        draw_values["confirm_hours"] = draw.confirm_hours or ""
    values = values or {}
    return page(
        request,
        "desk/seats.html",
        user,
        status,
        **figures,
        reserve_values=values.get("reserve", reserve_values),
        reserve_groups=values["reserve"].get("groups", []) if "reserve" in values else session.reserve_groups,
        draw_values=values.get("draw", draw_values),
        draw_editable=draw is None or (draw.opens_at > utcnow() and draw.drawn_at is None),
        reserve_editable=draw is None or draw.drawn_at is None,
        group_options=[g.value for g in PriorityGroup],
        errors=errors or {},
    )


async def _quotas(request: Request, db, user, status: int = 200, values=None, errors=None) -> Template:
    tree = await categories.tree(db, user.market_id)
    names = {cid: (zh, en) for cid, zh, en, _ in flat_categories(tree.items)}
    name, number = search_box(request), page_of(request)  # the search box as sent: empty is every quota
    found = await quotas.list_quotas(db, user.market_id, name or None, DESK_PAGE, (number - 1) * DESK_PAGE)
    return page(
        request,
        "desk/quotas.html",
        user,
        status,
        quotas=found.items,
        found=found,
        q=name,
        query=kept({"q": name}),
        page_number=number,
        size=DESK_PAGE,
        categories_options=[(cid, ("　" * depth) + zh) for cid, zh, _, depth in flat_categories(tree.items)],
        names=names,
        values=values or {},
        errors=errors or {},
    )
