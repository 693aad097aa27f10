"""Pages of the needs loop: the need form's suggested category (JSON for its script) and the curators'
review queue of needs and imported questionnaire answers the classifier was unsure of."""

from types import SimpleNamespace
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter, QueryParameter
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
from .i18n import lang_of
from .needs_loop import group_name

SuggestText = Annotated[str, Parameter(max_length=4000)]
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=10_000)]
ANSWERS_PAGE = 20  # questionnaire answers per page of the queue


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
    async def review_queue(
        self, request: Request, page_user: PageUser, db: Db, page_number: PageNumber = 1
    ) -> Template:
        user = need(page_user, Role.curator)
        return await _queue_page(request, db, user, page_number)

    @post("/desk/needs/{order_id:int}/file")
    async def file(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        return await _file(request, db, user, str(order_id), lambda c: classify.file_need(db, user, order_id, c))

    @post("/desk/needs/answers/{answer_id:int}/file")
    async def file_answer(
        self, request: Request, answer_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.curator)
        return await _file(request, db, user, f"a{answer_id}", lambda c: classify.file_answer(db, user, answer_id, c))


async def _file(request: Request, db, user, key: str, filing) -> Template | Redirect:
    """A need or a questionnaire answer filed from the queue; a refusal shows beside its own select (key)."""
    values = await form_of(request)
    data, errors = validate(request, FileNeedIn, {"category_id": values.get("category_id") or None})
    status = 400
    if data is not None:
        _, exc = await attempt(db, lambda: filing(data.category_id))
        if exc is None:
            return redirect("/desk/needs", "filed")
        status, errors = refusal(request, exc, "category_id")
    errors = {f"{key}.{k}": v for k, v in errors.items()}
    return await _queue_page(request, db, user, 1, status, errors=errors)


async def _queue_page(request: Request, db, user, page_number: int, status: int = 200, **context) -> Template:
    waiting, total = await classify.review_queue(db, user.market_id)
    answers, answers_total = await classify.answers_queue(
        db, user.market_id, ANSWERS_PAGE, (page_number - 1) * ANSWERS_PAGE
    )
    rows = flat_categories((await categories.tree(db, user.market_id)).items)
    names = {id_: (zh, en) for id_, zh, en, _ in rows}
    lang = lang_of(request)
    return page(
        request,
        "desk/needs.html",
        user,
        status,
        waiting=waiting,
        total=total,
        answers=answers,
        found=SimpleNamespace(total=answers_total),
        page_number=page_number,
        size=ANSWERS_PAGE,
        group_name=lambda g: group_name(lang, g),
        names=names,
        rows=rows,
        **context,
    )
