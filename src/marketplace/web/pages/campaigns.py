"""免申即享 proactive offers: the desk's campaigns (new, list, figures, start, cancel) and a member's offer page
(accept or decline in one tap), reached from the notice and from 我的订单 ("offered to you")."""

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from ...domain.campaigns import CampaignState
from ...domain.roles import MemberGroup, Role
from ...errors import NotFound
from ...schemas.campaigns import CampaignCancelIn, CampaignIn
from ...services import campaigns, organisations
from ..common import Db, IdParam
from .common import PAGE_DEPENDENCIES, PageUser, attempt, form_of, need, page, refusal, validate
from .once import once

LIST_PAGE = 20
OFFER_ROWS = 50
FIELDS = ("title", "kind", "places", "window_hours", "session_id", "benefit_name", "benefit_description")


def _campaign_fields(values: dict) -> dict:
    """The form as the schema takes it: empty fields left out (the schema's defaults, or its refusal), the
    groups ticked as a list (one tick comes as a single value)."""
    found = {k: values[k] for k in FIELDS if values.get(k) not in (None, "")}
    groups = values.get("groups") or []
    found["groups"] = [groups] if isinstance(groups, str) else list(groups)
    if found.get("kind") != "seats":
        found.pop("session_id", None)
    return found


class CampaignPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    # The desk ----------------------------------------------------------------------------------------

    @get("/desk/campaigns")
    async def list_page(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        campaign_state: Annotated[CampaignState | None, QueryParameter(name="state")] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, Role.curator)
        found = await campaigns.list_campaigns(
            db, user.market_id, campaign_state, LIST_PAGE, (page_number - 1) * LIST_PAGE
        )
        return page(
            request,
            "desk/campaigns.html",
            user,
            found=found,
            state=campaign_state,
            states=[s.value for s in CampaignState],
            page_number=page_number,
            size=LIST_PAGE,
            query=f"state={campaign_state}&" if campaign_state else "",
        )

    @get("/desk/campaigns/new")
    async def new(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator)
        return await _form(request, db, user, values={"kind": "seats", "window_hours": "48"})

    @post("/desk/campaigns")
    async def create(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, CampaignIn, _campaign_fields(values))
        status = 400
        if data is not None:

            async def work() -> str:
                campaign = await campaigns.create(db, user, data)
                return f"/desk/campaigns/{campaign.id}?ok=campaign_created"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc)
        return await _form(request, db, user, status, values=values, errors=errors)

    @get("/desk/campaigns/{campaign_id:int}")
    async def show(
        self,
        request: Request,
        campaign_id: IdParam,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, Role.curator)
        return await _detail(request, db, user, campaign_id, page_number)

    @post("/desk/campaigns/{campaign_id:int}/start")
    async def start(self, request: Request, campaign_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)

        async def work() -> str:
            await campaigns.start(db, user, campaign_id)
            return f"/desk/campaigns/{campaign_id}?ok=campaign_started"

        location, exc = await attempt(db, lambda: once(request, db, user, work))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc)
        return await _detail(request, db, user, campaign_id, 1, status, _at_top(errors))

    @post("/desk/campaigns/{campaign_id:int}/cancel")
    async def cancel(self, request: Request, campaign_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, CampaignCancelIn, {"reason": values.get("reason", "")})
        status = 400
        if data is not None:

            async def work() -> str:
                await campaigns.cancel(db, user, campaign_id, data.reason)
                return f"/desk/campaigns/{campaign_id}?ok=campaign_cancelled"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "reason")
        return await _detail(request, db, user, campaign_id, 1, status, _at_top(errors, keep="reason"), values)

    # The member ----------------------------------------------------------------------------------------

    @get("/offers/{offer_id:int}")
    async def offer(self, request: Request, offer_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.member)
        return page(request, "member/offer.html", user, offer=await campaigns.offer_for(db, user, offer_id))

    @post("/offers/{offer_id:int}/{answer:str}")
    async def answer(
        self, request: Request, offer_id: IdParam, answer: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.member)
        use_case = {"accept": campaigns.accept, "decline": campaigns.decline}.get(answer)
        if use_case is None:
            raise NotFound("No such action.")

        async def work() -> str:
            done = await use_case(db, user, offer_id)
            return f"/offers/{offer_id}?ok=offer_{done.state}"

        location, exc = await attempt(db, lambda: once(request, db, user, work))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc)
        offer = await campaigns.offer_for(db, user, offer_id)
        return page(request, "member/offer.html", user, status, offer=offer, errors=_at_top(errors))


def _at_top(errors: dict[str, str], keep: str | None = None) -> dict[str, str]:
    """A refusal about the campaign or the offer (its state), not a field of the form: said at the top."""
    return {(k if k == keep else "form"): v for k, v in errors.items()}


async def _form(request: Request, db, user, status: int = 200, values=None, errors=None) -> Template:
    sessions = await organisations.bookable_sessions(db, user.market_id)
    return page(
        request,
        "desk/campaign_new.html",
        user,
        status,
        sessions=sessions,
        groups=[g.value for g in MemberGroup],
        values=values or {},
        errors=errors or {},
    )


async def _detail(
    request: Request, db, user, campaign_id: int, page_number: int, status: int = 200, errors=None, values=None
) -> Template:
    campaign = await campaigns.detail(db, user, campaign_id)
    offers = await campaigns.offers_of(db, user, campaign_id, OFFER_ROWS, (page_number - 1) * OFFER_ROWS)
    return page(
        request,
        "desk/campaign.html",
        user,
        status,
        campaign=campaign,
        offers=offers,
        page_number=page_number,
        size=OFFER_ROWS,
        errors=errors or {},
        values=values or {},
    )
