"""Pages of the needs loop: the need form's suggested category (JSON for its script) and the curators'
review queue of needs the classifier was unsure of."""

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from ...domain.roles import Role
from ...schemas.needs import FileNeedIn
from ...services import categories, classify
from ..common import Db, IdParam, MarketId
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    attempt,
    flat_categories,
    form_of,
    need,
    page,
    redirect,
    refusal,
    validate,
)

SuggestText = Annotated[str, Parameter(max_length=4000)]


async def suggestion_for(db, market_id: int, text: str) -> int | None:
    """The category suggested for what a member wrote (None when there is too little to go on)."""
    if len(text.strip()) < 2:
        return None
    found = (await classify.classify_texts(db, market_id, [text]))[0]
    return found.category_id if found else None


class NeedPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/need/suggest")
    async def suggest(self, page_user: PageUser, db: Db, market_id: MarketId, text: SuggestText = "") -> dict:
        need(page_user, Role.member)
        category_id = await suggestion_for(db, market_id, text)
        return {"category_id": category_id}

    @get("/desk/needs")
    async def review_queue(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator)
        return await _queue_page(request, db, user)

    @post("/desk/needs/{order_id:int}/file")
    async def file(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, FileNeedIn, {"category_id": values.get("category_id") or None})
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: classify.file_need(db, user, order_id, data.category_id))
            if exc is None:
                return redirect("/desk/needs", "filed")
            status, errors = refusal(request, exc, "category_id")
        errors = {f"{order_id}.{k}": v for k, v in errors.items()}
        return await _queue_page(request, db, user, status, errors=errors)


async def _queue_page(request: Request, db, user, status: int = 200, **context) -> Template:
    waiting, total = await classify.review_queue(db, user.market_id)
    rows = flat_categories((await categories.tree(db, user.market_id)).items)
    names = {id_: (zh, en) for id_, zh, en, _ in rows}
    return page(
        request, "desk/needs.html", user, status, waiting=waiting, total=total, names=names, rows=rows, **context
    )
