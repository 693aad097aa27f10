"""The satisfaction survey after sign-off (the member's page) and the follow-up cases (the desk's)."""

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from ...domain.roles import Role
from ...domain.satisfaction import SURVEYED_STATES, CaseOutcome, CaseState
from ...errors import NotFound
from ...schemas.satisfaction import CaseNoteIn, CaseResolveIn, SurveyIn
from ...services import satisfaction
from ..common import Db, IdParam
from .common import PAGE_DEPENDENCIES, PageUser, attempt, done_at, form_of, need, page, refusal, validate
from .once import once

CASE_ACTIONS = {"contact": "contacted", "resolve": "resolved"}


def _answers(values: dict) -> dict:
    """The form's radio buttons as the survey's fields (missing ones stay missing, to be asked again)."""
    found = {k: values[k] for k in ("overall", "comment") if values.get(k)}
    for k in ("as_arranged", "recommend"):
        if values.get(k) in ("1", "0"):
            found[k] = values[k] == "1"
    return found


class SatisfactionPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/orders/{order_id:int}/survey")
    async def survey(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.member)
        order, answered = await satisfaction.survey_of(db, user, order_id)
        return page(request, "member/survey.html", user, order=order, answered=answered, values={}, open=_open(order))

    @post("/orders/{order_id:int}/survey")
    async def answer(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.member)
        values = await form_of(request)
        data, errors = validate(request, SurveyIn, _answers(values))
        status = 400
        if data is not None:

            async def work() -> str:
                await satisfaction.answer(db, user, order_id, data)
                return done_at(f"/orders/{order_id}", "surveyed")

            location, exc = await attempt(db, lambda: once(request, db, user, work))  # a double tap answers once
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "overall")
            if "order_id" in errors:  # about the order, not a field: said at the top of the page
                errors["form"] = errors.pop("order_id")
        order, answered = await satisfaction.survey_of(db, user, order_id)
        context = {"order": order, "answered": answered, "values": values, "open": _open(order)}
        return page(request, "member/survey.html", user, status, errors=errors, **context)

    @get("/desk/cases")
    async def cases(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        case_state: Annotated[CaseState | None, QueryParameter(name="state")] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, Role.operator, Role.curator)
        return await _cases_page(request, db, user, case_state, page_number=page_number)

    @post("/desk/cases/{case_id:int}/{action:str}")
    async def move(
        self, request: Request, case_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.operator, Role.curator)
        if action not in CASE_ACTIONS:
            raise NotFound("No such action.")
        values = await form_of(request)
        fields = {"note": values.get("note", "")} | ({"outcome": values["outcome"]} if values.get("outcome") else {})
        data, errors = validate(request, CaseResolveIn if action == "resolve" else CaseNoteIn, fields)
        status = 400
        if data is not None:

            async def work() -> str:
                await satisfaction.move_case(db, user, case_id, action, data.note, getattr(data, "outcome", None))
                return done_at("/desk/cases", CASE_ACTIONS[action])

            location, exc = await attempt(db, lambda: once(request, db, user, work))  # a double tap acts once
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "note")
        errors = {f"{case_id}.{k}": v for k, v in errors.items()}
        return await _cases_page(request, db, user, None, status, errors=errors)


def _open(order) -> bool:
    return order.state in SURVEYED_STATES


CASES_PAGE = 50


async def _cases_page(
    request: Request, db, user, state: CaseState | None, status: int = 200, page_number: int = 1, **context
) -> Template:
    found = await satisfaction.cases(db, user.market_id, state, CASES_PAGE, (page_number - 1) * CASES_PAGE)
    context |= {"page_number": page_number, "size": CASES_PAGE, "query": f"state={state}&" if state else ""}
    outcomes = list(CaseOutcome)
    return page(request, "desk/cases.html", user, status, found=found, state=state, outcomes=outcomes, **context)
