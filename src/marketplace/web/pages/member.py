"""The member's pages (phone-first): home, the menu, a listing, ordering, a need, notices, follows."""

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, Parameter, QueryParameter
from litestar.response import Redirect, Template

from ...domain.listings import ServiceMode
from ...domain.roles import MemberGroup, Role
from ...models import User
from ...models.base import utcnow
from ...schemas.orders import OrderIn
from ...services import accounts, categories, listings, menu, notices, order_views, orders, reviews
from .. import public
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
    safe_next,
    validate,
)
from .i18n import N_, lang_of, parse_local, tr

PAGE_SIZE = 12
OptionalId = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]


async def _listing_context(db, request: Request, user: User | None, listing_id: int) -> dict:
    listing = await menu.detail(db, await listings.get_visible(db, user, listing_id))
    now = utcnow()
    context = {
        "listing": listing,
        "upcoming": [s for s in listing.sessions if not s.cancelled and s.starts_at > now],
        "provider": await accounts.provider_public(db, listing.provider.id),
        "reviews": await reviews.for_listing(db, user, listing_id, 10, 0),
        "following": False,
        "mine": [],
    }
    if user is not None:
        context["following"] = listing.category.id in await categories.followed_ids(db, user)
        mine = await order_views.listing_page(db, user, "member", listing_id=listing_id, limit=10)
        context["mine"] = mine.items
    return context


def _need_errors(request: Request, fields: dict) -> dict[str, str]:
    # A need names its category and says in a few words what is needed; asked beside each field.
    lang = lang_of(request)
    errors = {}
    if not fields.get("category_id"):
        errors["category_id"] = tr(lang, N_("Please choose a category."))
    if len((fields.get("title") or "").strip()) < 2:
        errors["title"] = tr(lang, N_("Please say in a few words what you need."))
    return errors


def _preferred_times(request: Request, values: dict, errors: dict) -> list[dict]:
    """The optional "when suits me" window of the need form, read in the market's time zone."""
    given = {k: (values.get(k) or "").strip() for k in ("preferred_from", "preferred_to")}
    if not any(given.values()):
        return []
    lang = lang_of(request)
    start, end = (parse_local(request, given[k]) if given[k] else None for k in ("preferred_from", "preferred_to"))
    if start is None:
        errors["preferred_from"] = tr(lang, N_("Please give a start time, or leave both times empty."))
    if end is None:
        errors["preferred_to"] = tr(lang, N_("Please give an end time, or leave both times empty."))
    elif start is not None and end <= start:
        errors["preferred_to"] = tr(lang, N_("The end must be after the start."))
    return [{"starts_at": start, "ends_at": end}] if start and end and end > start else []


class MemberPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/")
    async def home(self, request: Request, page_user: PageUser, db: Db, market_id: MarketId) -> Template:
        tree = await public.category_tree(request.app.state, db, market_id)
        new = await public.menu_page(request.app.state, db, market_id, sort="new", limit=6)
        unread = (await notices.list_for(db, page_user, True, 1, 0)).total if page_user else 0
        return page(request, "member/home.html", page_user, domains=tree.items, new=new.items, unread=unread)

    @get("/menu")
    async def browse(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        market_id: MarketId,
        category: FromQuery[OptionalId] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=100)]] = None,
        mode: FromQuery[ServiceMode | None] = None,
        group: FromQuery[MemberGroup | None] = None,
        available: FromQuery[bool | None] = None,
        sort: FromQuery[Annotated[str, Parameter(pattern="^(new|rating|soon)$")]] = "new",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Template:
        found = await public.menu_page(
            request.app.state,
            db,
            market_id,
            category_id=category,
            q=q,
            mode=mode,
            group=group,
            available=available,
            sort=sort,
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
        tree = await public.category_tree(request.app.state, db, market_id)
        filters = {"category": category or "", "q": q or "", "mode": mode or "", "group": group or ""}
        filters |= {"available": "1" if available else "", "sort": sort}
        return page(
            request,
            "member/menu.html",
            page_user,
            found=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE_SIZE)),
            values=filters,
            categories=flat_categories(tree.items),
            following=await categories.followed_ids(db, page_user) if page_user else [],
        )

    @get("/listings/{listing_id:int}")
    async def listing(self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db) -> Template:
        context = await _listing_context(db, request, page_user, listing_id)
        return page(request, "member/listing.html", page_user, **context)

    @post("/listings/{listing_id:int}/order")
    async def order(self, request: Request, listing_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.member)
        values = await form_of(request)
        data, errors = validate(request, OrderIn, {**values, "listing_id": listing_id})
        status = 400
        if data is not None:
            order, exc = await attempt(db, lambda: orders.place(db, user, data))
            if exc is None:
                return redirect(f"/orders/{order.id}", "ordered")
            status, errors = refusal(request, exc, "session_id")
        context = await _listing_context(db, request, user, listing_id)
        return page(request, "member/listing.html", user, status, errors=errors, values=values, **context)

    @get("/need")
    async def need_form(self, request: Request, page_user: PageUser, db: Db, market_id: MarketId) -> Template:
        user = need(page_user, Role.member)
        values = {"category_id": request.query_params.get("category", "")}
        tree = await categories.tree(db, market_id)
        return page(request, "member/need.html", user, values=values, categories=flat_categories(tree.items))

    @post("/need")
    async def post_need(
        self, request: Request, page_user: PageUser, db: Db, market_id: MarketId
    ) -> Template | Redirect:
        user = need(page_user, Role.member)
        values = await form_of(request)
        fields = {k: values.get(k) for k in ("category_id", "title", "description", "note") if values.get(k)}
        fields["mode"] = values.get("mode") or None
        data, errors = None, _need_errors(request, fields)
        fields["preferred_times"] = _preferred_times(request, values, errors)
        if not errors:
            data, errors = validate(request, OrderIn, fields)
        status = 400
        if data is not None:
            order, exc = await attempt(db, lambda: orders.place(db, user, data))
            if exc is None:
                return redirect(f"/orders/{order.id}", "need")
            status, errors = refusal(request, exc, "category_id")
        tree = await categories.tree(db, market_id)
        return page(
            request,
            "member/need.html",
            user,
            status,
            values=values,
            errors=errors,
            categories=flat_categories(tree.items),
        )

    @get("/notices")
    async def inbox(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Template:
        user = need(page_user)
        found = await notices.list_for(db, user, False, 30, (page_number - 1) * 30)
        return page(request, "member/notices.html", user, found=found, page_number=page_number)

    @post("/notices/read")
    async def read_all(self, page_user: PageUser, db: Db) -> Redirect:
        await notices.mark_all_read(db, need(page_user))
        return redirect("/notices", "read")

    @post("/categories/{category_id:int}/follow")
    async def follow(self, request: Request, category_id: IdParam, page_user: PageUser, db: Db) -> Redirect:
        user = need(page_user, Role.member)
        values = await form_of(request)
        if values.get("follow") == "0":
            await categories.unfollow(db, user, category_id)
            return redirect(safe_next(values.get("next")), "unfollowed")
        await categories.follow(db, user, category_id)
        return redirect(safe_next(values.get("next")), "followed")
