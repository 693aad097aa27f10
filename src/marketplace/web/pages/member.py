"""The member's pages (phone-first): home, the menu, a listing, ordering, a need, notices, follows."""

import re
from typing import Annotated

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from ...domain.listings import ServiceMode
from ...domain.orders import LIVE_STATES
from ...domain.roles import MemberGroup, Role
from ...errors import InvalidInput
from ...models import User
from ...models.base import utcnow
from ...schemas.orders import OrderIn
from ...services import accounts, categories, listings, lottery, menu, notices, order_views, orders, reviews, roster
from .. import public
from ..common import Db, IdParam, MarketId, SearchText
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    active_user,
    attempt,
    done_at,
    flat_categories,
    form_of,
    need,
    page,
    page_context,
    page_token,
    redirect,
    refusal,
    safe_next,
    validate,
)
from .i18n import N_, lang_of, parse_local, tr
from .needs import suggestion_for
from .once import once

PAGE_SIZE = 12


def notice_target(kind: str, data: dict) -> str:
    """The page a notice is about."""
    if data.get("order_id"):
        # a message opens the order at its thread
        return f"/orders/{int(data['order_id'])}" + ("#thread" if kind == "order_message" else "")
    if data.get("campaign_offer_id"):  # 免申即享: the offer, to accept or decline
        return f"/offers/{int(data['campaign_offer_id'])}"
    if data.get("listing_id"):
        listing_id = int(data["listing_id"])
        return f"/provider/listings/{listing_id}" if kind == "listing_rejected" else f"/listings/{listing_id}"
    return "/notices"


_SORTS = ("new", "rating", "soon")


def menu_filters(query) -> dict[str, str]:
    """The menu's filters as its form sends them: every field, an empty one meaning "any". A value the
    form cannot send is refused with the field (a 400 page in the reader's language)."""
    found = {name: (query.get(name) or "").strip() for name in ("category", "mode", "group", "available", "sort")}
    if found["category"] and not (
        re.fullmatch(r"[0-9]{1,10}", found["category"]) and 0 < int(found["category"]) < 2**31
    ):
        raise InvalidInput("Choose a category from the list.", field="category")
    if found["mode"] and found["mode"] not in set(ServiceMode):
        raise InvalidInput("Choose online or offline.", field="mode")
    if found["group"] and found["group"] not in set(MemberGroup):
        raise InvalidInput("Choose a group from the list.", field="group")
    if found["sort"] not in _SORTS:
        found["sort"] = "new"
    found["available"] = "1" if found["available"] in ("1", "true", "on") else ""
    return found


async def _listing_context(db, request: Request, user: User | None, listing_id: int) -> dict:
    visible = await listings.get_visible(db, user, listing_id)
    listing = await menu.detail(db, visible)
    now = utcnow()
    market = await roster.market_of(db, visible.market_id)
    context = {
        "listing": listing,
        "upcoming": [s for s in listing.sessions if not s.cancelled and s.starts_at > now],
        "provider": await accounts.provider_public(db, listing.provider.id),
        "reviews": await reviews.for_listing(db, user, listing_id, 10, 0),
        "following": False,
        "mine": [],
        "booked": {},  # session id -> the member's live order of it: shown instead of an order button
        # A listing for some groups only: others see why they cannot order instead of a button that fails.
        # 抽签: the sessions filled by a draw, with what their draws have published
        "draws": await lottery.published_for(
            db, [s.id for s in listing.sessions if not s.cancelled and s.starts_at > now]
        ),
        "eligible": not listing.target_groups or user is None or bool(set(listing.target_groups) & set(user.groups)),
        # 实名制: told up front, with the way to ask, instead of a refused order
        "needs_verification": user is not None
        and user.verified_at is None
        and (listing.verified_only or market.verified_only),
    }
    if user is not None:
        context["following"] = listing.category.id in await categories.followed_ids(db, user)
        mine = await order_views.listing_page(db, user, "member", listing_id=listing_id, limit=10)
        context["mine"] = mine.items
        context["booked"] = {o.session.id: o for o in mine.items if o.session and o.state in LIVE_STATES}
    return context


# Holes in a cached rendering, filled per request; escaped text can never contain them ("<" is escaped).
_VISITOR_PART = "<!--menu:visitor-->"  # the visitor's own part of the menu (the follow form)
_CSRF_TOKEN = "<!--menu:csrf-->"  # the visitor's CSRF token, in a cached page for anonymous visitors
_CSRF_HOLE = _CSRF_TOKEN.encode()


async def _render_menu_public(request: Request, market_id: int, filters: dict, page_number: int) -> str:
    """The menu page's public part (search form, filters, cards, pager), read fresh from the database:
    the same for every visitor who asks the same in the same language."""
    state = request.app.state
    async with state.sessionmaker() as db:  # not the menu's cache: seats left are as old as this rendering
        found = await menu.browse(
            db,
            market_id,
            category_id=int(filters["category"]) if filters["category"] else None,
            q=filters["q"] or None,
            mode=filters["mode"] or None,
            group=filters["group"] or None,
            available=bool(filters["available"]),
            sort=filters["sort"],
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
        tree = await public.category_tree(state, db, market_id)  # versioned only: it holds no seats
    return _render(
        request,
        "member/_menu_public.html",
        lang=lang_of(request),
        found=found,
        page_number=page_number,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        values=filters,
        errors={},
        categories=flat_categories(tree.items),
        marker=Markup(_VISITOR_PART),
    )


async def _menu_public(request: Request, market_id: int, filters: dict, page_number: int) -> tuple[Markup, Markup]:
    """The public part, cached per (language, query, page, menu version), in two pieces around the visitor's."""

    async def render() -> str:
        return await _render_menu_public(request, market_id, filters, page_number)

    params = {"lang": lang_of(request), "page": page_number, **filters}
    html = (await public.fragment(request.app.state, market_id, "menu-public", params, render)).decode()
    above, _, below = html.partition(_VISITOR_PART)
    return Markup(above), Markup(below)


async def _anonymous_menu(request: Request, market_id: int, filters: dict, page_number: int) -> Response:
    """The whole menu page as an anonymous visitor sees it: cached per (language, address, menu version),
    as nothing in it is theirs but the CSRF token of the follow form, put in per request."""

    async def render() -> str:
        html = await _render_menu_public(request, market_id, filters, page_number)
        above, _, below = html.partition(_VISITOR_PART)
        context = {"above": Markup(above), "below": Markup(below), "values": filters, "following": []}
        return _render(
            request,
            "member/menu.html",
            **page_context(request, None, **context),
            csrf_token=lambda: Markup(_CSRF_TOKEN),
        )

    params = {"lang": lang_of(request), "query": request.scope["query_string"].decode("latin-1")}
    body = await public.fragment(request.app.state, market_id, "menu-anonymous", params, render)
    if _CSRF_HOLE in body:  # the follow form, shown with a category
        token = ScopeState.from_scope(request.scope).csrf_token  # the CSRF middleware's, for this visitor
        body = body.replace(_CSRF_HOLE, escape(token if isinstance(token, str) else "").encode())
    return Response(body, media_type=MediaType.HTML)


def _render(request: Request, template: str, **context) -> str:
    """A template rendered here (to be cached), given `request` as a page's template is."""
    return request.app.template_engine.get_template(template).render(request=request, **context)


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


async def _place(request: Request, db, user: User, data: OrderIn):
    await request.app.state.limits.count_order(user.id)
    return await orders.place(db, user, data)


class MemberPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/")
    async def home(self, request: Request, page_user: PageUser, db: Db, market_id: MarketId) -> Template:
        market_id = page_user.market_id if page_user is not None else market_id  # a member's own market
        tree = await public.category_tree(request.app.state, db, market_id)
        new = await public.menu_page(request.app.state, db, market_id, sort="new", limit=6)
        return page(request, "member/home.html", page_user, domains=tree.items, new=new.items)

    @get("/menu")
    async def browse(
        self,
        request: Request,
        market_id: MarketId,
        q: FromQuery[SearchText] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Template | Response:
        # No database session per request: what is public comes from the cache (cache.py), and only a
        # visitor with a session cookie costs a lookup (who they are, whether they follow the category).
        filters = {"q": q or "", **menu_filters(request.query_params)}
        category = int(filters["category"]) if filters["category"] else None
        if page_token(request) is not None:
            async with request.app.state.sessionmaker() as db:
                user = await active_user(db, request)
                following = await categories.followed_ids(db, user) if user is not None and category else []
            if user is not None:
                # a member's own market's menu, with what the markets above it share below
                above, below = await _menu_public(request, user.market_id, filters, page_number)
                context = {"above": above, "below": below, "values": filters, "following": following}
                return page(request, "member/menu.html", user, **context)
        return await _anonymous_menu(request, market_id, filters, page_number)

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

            async def place() -> str:
                order = await _place(request, db, user, data)
                # Say what really happened: a seat, a place on the waiting list, or an order to be accepted.
                return done_at(
                    f"/orders/{order.id}",
                    {"accepted": "booked", "waitlisted": "waitlisted", "registered": "registered"}.get(
                        order.state, "ordered"
                    ),
                )

            location, exc = await attempt(db, lambda: once(request, db, user, place))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "session_id")
        context = await _listing_context(db, request, user, listing_id)
        return page(request, "member/listing.html", user, status, errors=errors, values=values, **context)

    @get("/need")
    async def need_form(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.member)
        values = {"category_id": request.query_params.get("category", "")}
        tree = await categories.tree(db, user.market_id)
        return page(request, "member/need.html", user, values=values, categories=flat_categories(tree.items))

    @post("/need")
    async def post_need(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
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

            async def post() -> str:
                return done_at(f"/orders/{(await _place(request, db, user, data)).id}", "need")

            location, exc = await attempt(db, lambda: once(request, db, user, post))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "category_id")
        suggested = None
        if not values.get("category_id"):  # still required, but the suggestion is chosen for the member
            suggested = await suggestion_for(
                db, user.market_id, f"{values.get('title', '')}\n{values.get('description', '')}"
            )
            values = {**values, "category_id": suggested or ""}
        tree = await categories.tree(db, user.market_id)
        return page(
            request,
            "member/need.html",
            user,
            status,
            values=values,
            errors=errors,
            categories=flat_categories(tree.items),
            suggested=suggested,
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
        found = await notices.list_for(db, user, False, 30, (page_number - 1) * 30, lang_of(request))
        return page(request, "member/notices.html", user, found=found, page_number=page_number)

    @get("/notices/{notification_id:int}")
    async def open_notice(self, notification_id: IdParam, page_user: PageUser, db: Db) -> Redirect:
        """Opening a notice reads it: then on to what it is about (its order, its listing), else the inbox."""
        notice = await notices.mark_read(db, need(page_user), notification_id)
        return Redirect(notice_target(notice.kind, notice.data), status_code=303)

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
