"""An order's page for everyone party to it: the timeline and the next action as one clear button."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from pydantic import BaseModel

from ...auth import has_role
from ...domain.roles import Role
from ...domain.service_time import service_time
from ...errors import Conflict, Forbidden, NotFound
from ...models import Category, Order, User
from ...models.base import utcnow
from ...schemas.messages import MessageIn
from ...schemas.orders import (
    ArrangeIn,
    DeliverIn,
    OfferToIn,
    ProposeTimeIn,
    ReasonIn,
    RequiredReasonIn,
    ResolveIn,
    ReviewIn,
)
from ...services import calendar, campaigns, checkin, lottery, order_messages, order_views, orders, reviews, staffing
from ..common import Db, IdParam
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    as_list,
    attempt,
    done_at,
    form_of,
    need,
    page,
    refusal,
    validate,
)
from .i18n import N_, lang_of, parse_local, tr
from .labels import REVIEW_TAG_GROUPS, SCORE_PARTS
from .once import once

PAGE_SIZE = 20
# 我的订单's tabs: (key, the states it shows), for a member and for a provider; "all" shows every state.
MEMBER_TABS = {
    "waiting": ["placed", "offered", "waitlisted", "registered"],  # 待接单 (and 抽签 entries)
    "upcoming": ["accepted"],  # 待服务
    "to_sign": ["delivered", "disputed"],  # 待签收
    "to_review": ["received"],  # 待评价
    "all": [],
    "history": [],  # archived (services/archive.py): finished and old
}
PROVIDER_TABS = {
    "waiting": ["offered"],  # 待接单
    "upcoming": ["accepted"],  # 待服务
    "done": ["delivered", "received", "reviewed", "disputed", "no_show"],  # 已完成 (recent)
    "all": [],
    "history": [],  # archived (services/archive.py): finished and old
}
# The order of importance: the first action the viewer may take is the one big button.
PRIMARY = [
    "confirm",
    "agree_time",
    "receive",
    "review",
    "accept",
    "accept_time",
    "deliver",
    "reorder",
    "arrange",
    "resolve_received",
    "offer",
    "reassign",
]


def _arrange_values(request: Request, values: dict) -> dict:
    found = {k: values[k] for k in ("place", "link", "minutes") if values.get(k)}
    if values.get("starts_at"):
        found["starts_at"] = parse_local(request, values["starts_at"]) or values["starts_at"]
    return found


def _review_values(request: Request, values: dict) -> dict:
    # the quick tags are checkboxes: none, one or several values
    return {"stars": values.get("stars") or None, "text": values.get("text", ""), "tags": as_list(values.get("tags"))}


def _proposal_values(request: Request, values: dict) -> dict:
    found = {"note": values.get("note", "")}
    if values.get("starts_at"):
        found["starts_at"] = parse_local(request, values["starts_at"]) or values["starts_at"]
    return found


# action -> (form model, how the form becomes the model's input, the use case)
Action = tuple[type[BaseModel] | None, Callable[[Request, dict], dict], Callable[..., Awaitable[Any]]]
_plain = lambda request, values: values  # noqa: E731
ACTIONS: dict[str, Action] = {
    "accept": (None, _plain, lambda db, user, oid, data: orders.accept(db, user, oid)),
    "confirm": (None, _plain, lambda db, user, oid, data: orders.confirm(db, user, oid)),
    "decline": (RequiredReasonIn, _plain, lambda db, user, oid, data: orders.decline(db, user, oid, data.reason)),
    "arrange": (ArrangeIn, _arrange_values, lambda db, user, oid, data: orders.arrange(db, user, oid, data)),
    "agree_time": (None, _plain, lambda db, user, oid, data: orders.agree_time(db, user, oid)),
    "propose_time": (
        ProposeTimeIn,
        _proposal_values,
        lambda db, user, oid, data: orders.propose_time(db, user, oid, data),
    ),
    "accept_time": (None, _plain, lambda db, user, oid, data: orders.accept_time(db, user, oid)),
    "deliver": (
        DeliverIn,
        lambda request, values: {"note": values.get("note", ""), "attended": values.get("attended", "1") == "1"},
        lambda db, user, oid, data: orders.deliver(db, user, oid, data),
    ),
    "no_show": (ReasonIn, _plain, lambda db, user, oid, data: orders.no_show(db, user, oid, data.reason)),
    "receive": (None, _plain, lambda db, user, oid, data: orders.receive(db, user, oid)),
    "dispute": (RequiredReasonIn, _plain, lambda db, user, oid, data: orders.dispute(db, user, oid, data.reason)),
    "cancel": (ReasonIn, _plain, lambda db, user, oid, data: orders.cancel(db, user, oid, data.reason)),
    "provider_cancel": (
        RequiredReasonIn,
        _plain,
        lambda db, user, oid, data: orders.provider_cancel(db, user, oid, data.reason),
    ),
    "withdraw": (None, _plain, lambda db, user, oid, data: lottery.withdraw(db, user, oid)),
    "review": (ReviewIn, _review_values, lambda db, user, oid, data: reviews.review(db, user, oid, data)),
    "reorder": (None, _plain, lambda db, user, oid, data: orders.reorder(db, user, oid)),
    "resolve_received": (
        ResolveIn,
        lambda request, values: {"outcome": "received", "reason": values.get("reason", "")},
        lambda db, user, oid, data: orders.resolve(db, user, oid, data),
    ),
    "resolve_cancelled": (
        ResolveIn,
        lambda request, values: {"outcome": "cancelled", "reason": values.get("reason", "")},
        lambda db, user, oid, data: orders.resolve(db, user, oid, data),
    ),
    "offer": (
        OfferToIn,
        _plain,
        lambda db, user, oid, data: orders.offer_to(db, user, oid, data.provider_id, data.reason),
    ),
    "reassign": (
        OfferToIn,
        _plain,
        lambda db, user, oid, data: orders.offer_to(db, user, oid, data.provider_id, data.reason),
    ),
}
STAFF_ONLY = {"offer", "reassign", "resolve_received", "resolve_cancelled"}


async def order_page(request: Request, db, user: User, order_id: int, status: int = 200, **context) -> Template:
    order = await order_views.one(db, user, order_id)
    primary = next((a for a in PRIMARY if a in order.actions), None)
    category_name = None
    if order.kind == "need":  # the member chose it: show it back to everyone on the order
        category = await db.get(Category, order.category_id)
        category_name = category.name_zh if lang_of(request) == "zh-CN" else category.name_en
    candidates = []
    if {"offer", "reassign"} & set(order.actions):
        candidates = await staffing.candidates(db, user.market_id, order.category_id)
    context.setdefault("values", {})
    context.setdefault("message_values", {})
    thread, thread_closed, thread_writes = await _thread(db, user, order_id)
    code = None  # 扫码签到: the member's own code of an accepted session order
    if order.member.id == user.id and order.session and order.state in ("accepted", "delivered"):
        code = await checkin.member_code(db, user, order.id)
    return page(
        request,
        "orders/order.html",
        user,
        status,
        checkin_code=code,
        order=order,
        primary=primary,
        candidates=candidates,
        category_name=category_name,
        staff=has_role(user, Role.operator, Role.curator),
        score_parts=list(SCORE_PARTS),
        thread=thread,
        thread_closed=thread_closed,
        thread_writes=thread_writes,
        tag_groups=REVIEW_TAG_GROUPS,
        **context,
    )


THREAD_SHOWN = 50  # the order page shows the last messages; the API pages through all of them


async def _thread(db, user: User, order_id: int):
    """The thread's last messages for the order page, whether it is closed to this viewer (staff before
    a dispute or an escalation) and whether they may write in it (not staff once that is over)."""
    order = await db.get(Order, order_id)
    try:
        found = await order_messages.read_access(db, user, order)
    except Forbidden:
        return None, True, False
    return await order_messages.latest(db, user, order, THREAD_SHOWN), False, found.writes


class OrderPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/orders")
    async def mine(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Template:
        user = need(page_user)
        # A provider sees the orders they serve (their history too); a member, their own; one with both
        # roles switches between the two.
        view = request.query_params.get("as")
        if view not in ("member", "provider"):
            view = "provider" if has_role(user, Role.provider) else "member"
        if view == "provider" and not has_role(user, Role.provider):
            view = "member"
        tabs = PROVIDER_TABS if view == "provider" else MEMBER_TABS
        tab = request.query_params.get("tab")
        counts = await order_views.state_counts(db, user, view)
        if tab not in tabs:  # the first tab with something in it, else all
            tab = next((key for key, states in tabs.items() if states and sum(counts.get(s, 0) for s in states)), "all")
        history = tab == "history"
        found = await order_views.listing_page(
            db,
            user,
            view,
            state=tabs[tab] or None,
            archived=history,
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
        primary = {o.id: next((a for a in PRIMARY if a in o.actions), None) for o in found.items}
        # 免申即享: places offered to the member without applying, waiting for their answer
        offered = (await campaigns.mine(db, user, open_only=True, limit=10)).items if view == "member" else []
        tab_counts = {
            key: sum(counts.get(s, 0) for s in states) if states else sum(counts.values())
            for key, states in tabs.items()
        }
        # the archived history is counted apart, off its own index (the others read only the hot one)
        tab_counts["history"] = found.total if history else await order_views.archived_count(db, user, view)
        return page(
            request,
            "orders/mine.html",
            user,
            found=found,
            primary=primary,
            page_number=page_number,
            view=view,
            tab=tab,
            tab_counts=tab_counts,
            both=has_role(user, Role.provider),
            offered=offered,
        )

    @get("/orders/{order_id:int}")
    async def show(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Template:
        return await order_page(request, db, need(page_user), order_id)

    @get("/orders/{order_id:int}/calendar.ics")
    async def calendar_file(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Response:
        """The order's session or agreed time as a calendar event, for the parties to the order."""
        order = await order_views.one(db, need(page_user), order_id)
        when = service_time(
            order.session.starts_at if order.session else None,
            order.session.ends_at if order.session else None,
            order.arrangement,
            bool(order.arrangement),
        )
        if not when.known:
            raise Conflict("No time is agreed for this order yet.")
        description = tr(lang_of(request), N_("Cloud Market order #%(id)s"), id=order.id)
        body = calendar.order_event(order, when, request.url.hostname or "cloud-market", utcnow(), description)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="order-{order.id}.ics"'},
        )

    @post("/orders/{order_id:int}/messages")
    async def write(self, request: Request, order_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        """A message in the order's thread: counted per person, sent once per form, back to the thread."""
        user = need(page_user)
        values = await form_of(request)
        data, errors = validate(request, MessageIn, values)
        status = 400
        if not errors:

            async def write_once() -> str:
                await request.app.state.limits.count_message(user.id)
                await order_messages.post(db, user, order_id, data.body)
                return done_at(f"/orders/{order_id}", "message") + "#thread"

            location, exc = await attempt(db, lambda: once(request, db, user, write_once))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "body")
        errors = {f"message.{k}" if k != "form" else k: v for k, v in errors.items()}
        return await order_page(request, db, user, order_id, status, errors=errors, message_values=values)

    @post("/orders/{order_id:int}/{action:str}")
    async def act(
        self, request: Request, order_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user)
        if action not in ACTIONS:
            raise NotFound("No such action.")
        if action in STAFF_ONLY and not has_role(user, Role.operator, Role.curator):
            raise Forbidden("This needs the operator or curator role.")
        model, shape, use_case = ACTIONS[action]
        values = await form_of(request)
        data, errors = (None, {}) if model is None else validate(request, model, shape(request, values))
        status = 400
        if not errors:

            async def act_once() -> str:
                if action == "reorder":  # a new order: counted like any other (ORDER_LIMIT_PER_MEMBER)
                    await request.app.state.limits.count_order(user.id)
                done = await use_case(db, user, order_id, data)
                return done_at(f"/orders/{done.id if action == 'reorder' else order_id}", action)

            location, exc = await attempt(db, lambda: once(request, db, user, act_once))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "form")
        errors = {f"{action}.{k}" if k != "form" else k: v for k, v in errors.items()}
        return await order_page(request, db, user, order_id, status, errors=errors, values=values, failed=action)
