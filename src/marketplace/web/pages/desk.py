"""The union desk: figures, the category tree, approvals into batches, moderation, stuck orders, accounts.

Curators see all of it; operators see the figures and the stuck orders (their role runs the market day to day).
"""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter
from litestar.response import Redirect, Stream, Template

from ...auth import login_session_of
from ...domain.periods import DEFAULT_PERIOD, PERIODS, period_start
from ...domain.roles import Role
from ...errors import NotFound
from ...models.base import utcnow
from ...schemas.accounts import GroupsIn, OrderMarketsIn, RevealIn, RolesIn
from ...schemas.catalog_categories import CategoryIn, CategoryPatch
from ...schemas.listings import ApproveIn, BatchIn, BulkApproveIn
from ...schemas.orders import RequiredReasonIn
from ...services import (
    accounts,
    audit_trail,
    categories,
    desk_lists,
    digest,
    exports,
    insights,
    listings,
    market_tree,
    menu,
    personal_data,
    reviews,
)
from ..common import Db, IdParam
from . import labels
from .charts import Series, line_chart
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    as_list,
    attempt,
    chosen,
    done_at,
    flat_categories,
    form_id,
    form_of,
    kept,
    need,
    page,
    redirect,
    refusal,
    search_box,
    validate,
)
from .i18n import N_, lang_of, tr, when
from .labels import ORDER_STATES, ROLES
from .once import once

STAFF = (Role.curator, Role.operator)
AUDIT_PAGE = DESK_PAGE = 50  # rows a desk list shows at once, with pages for the rest


def bars(items: list[tuple[str, int | float]]) -> list[dict]:
    """Rows of an HTML bar chart: label, value and the bar's width in percent of the largest."""
    top = max((value for _, value in items), default=0) or 1
    return [{"label": label, "value": value, "width": round(100 * value / top)} for label, value in items]


class DeskPages(Controller):
    path = "/desk"
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/")
    async def dashboard(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        period: FromQuery[Annotated[str | None, Parameter(max_length=10)]] = None,
    ) -> Template:
        user = need(page_user, *STAFF)
        period = period if period in PERIODS else DEFAULT_PERIOD  # an unknown one (a stale link): all time
        zone = ZoneInfo(request.app.state.settings.time_zone)
        stats = await insights.stats(db, await market_tree.staff_markets(db, user), period, zone)  # the subtree's
        en = lang_of(request) == "en"
        name = (lambda row: row.name_en) if en else (lambda row: row.name_zh)  # noqa: E731
        charts = {
            "domains": bars([(name(d), d.listings) for d in stats.listings_by_domain]),
            "seats": bars([(name(d), d.seats_left) for d in stats.listings_by_domain]),
            "batches": bars([(b.name, b.listings) for b in stats.listings_by_batch]),
            "funnel": bars([(f.stage, f.orders) for f in stats.funnel]),
            "stars": bars([(str(s), n) for s, n in sorted(stats.reviews.histogram.items(), reverse=True)]),
            "needs": bars([(name(n), n.needs) for n in stats.unmet_needs]),
            "levels": bars([(str(level), n) for level, n in stats.providers.by_star_level.items()]),
        }
        return page(
            request,
            "desk/dashboard.html",
            user,
            stats=stats,
            charts=charts,
            trends=_trend_charts(request, stats),
            period=period,
            periods=PERIOD_NAMES,
        )

    # The category tree ----------------------------------------------------------------------

    @get("/categories")
    async def category_tree(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator)
        return await _categories_page(request, db, user)

    @post("/categories")
    async def create_category(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        fields = {k: v for k, v in values.items() if v != ""}
        data, errors = validate(request, CategoryIn, fields)
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: categories.create(db, user, data))
            if exc is None:
                return redirect("/desk/categories", "created")
            status, errors = refusal(request, exc, "slug")
        return await _categories_page(request, db, user, status, values=values, errors=errors)

    @post("/categories/{category_id:int}")
    async def update_category(
        self, request: Request, category_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        fields = {
            "name_zh": values.get("name_zh"),
            "name_en": values.get("name_en"),
            "parent_id": values.get("parent_id") or None,
            "position": values.get("position") or 0,
            "offer_deadline_hours": values.get("offer_deadline_hours") or None,
            "archived": values.get("archived") == "1",
            "confidential": values.get("confidential") == "1",
        }
        data, errors = validate(request, CategoryPatch, fields)
        status = 400
        if data is not None:
            _, exc = await attempt(db, lambda: categories.update(db, user, category_id, data))
            if exc is None:
                return redirect("/desk/categories", "saved")
            status, errors = refusal(request, exc, "name_zh")
        errors = {f"{category_id}.{k}": v for k, v in errors.items()}
        return await _categories_page(request, db, user, status, errors=errors, edited=category_id, edit=values)

    # Approvals and batches ---------------------------------------------------------------------

    @get("/approvals")
    async def approvals(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        refused: FromQuery[Annotated[str | None, Parameter(max_length=2000)]] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, Role.curator)
        return await _approvals_page(
            request, db, user, refused=await _refused_listings(db, user, refused), page_number=page_number
        )

    @post("/listings/approve")
    async def approve_many(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        """Bulk approval: the listings ticked, into the batch chosen, in one go (a double tap acts once);
        those that could not be approved are named on the page with why."""
        user = need(page_user, Role.curator)
        values = await form_of(request)
        ids = [n for n in map(form_id, as_list(values.get("listing_ids"))) if n]
        fields = {"listing_ids": ids, "batch_id": values.get("batch_id") or None}
        data, errors = validate(request, BulkApproveIn, fields)
        if data is None:
            if not ids:
                errors = {"bulk": tr(lang_of(request), N_("Tick at least one listing to approve."))}
            elif len(ids) > 100:
                errors = {"bulk": tr(lang_of(request), N_("At most 100 listings at once, please."))}
            else:
                errors = {"bulk": next(iter(errors.values()))}
            return await _approvals_page(request, db, user, 400, errors=errors, values=values)

        async def work() -> str:
            _, refused = await listings.approve_many(db, user, data.listing_ids, data.batch_id)
            codes = ",".join(f"{i}.{_refusal_code(exc)}" for i, exc in refused.items())
            return done_at("/desk/approvals" + (f"?refused={codes}" if codes else ""), "bulk_approved")

        location, exc = await attempt(db, lambda: once(request, db, user, work))
        if exc is None:
            return Redirect(location, status_code=303)
        status, errors = refusal(request, exc, "bulk")
        return await _approvals_page(request, db, user, status, errors={"bulk": errors.popitem()[1]}, values=values)

    @post("/listings/{listing_id:int}/{action:str}")
    async def decide(
        self, request: Request, listing_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.curator)
        if action not in ("approve", "reject"):
            raise NotFound("No such action.")
        values = await form_of(request)
        if action == "approve":
            answer = {
                "batch_id": values.get("batch_id") or None,
                "verified_only": values.get("verified_only") == "1",
                "shared_below": values.get("shared_below") == "1",
            }
            data, errors = validate(request, ApproveIn, answer)
            work = lambda: listings.approve(  # noqa: E731
                db, user, listing_id, data.batch_id, data.verified_only, data.shared_below
            )
        else:
            data, errors = validate(request, RequiredReasonIn, {"reason": values.get("reason", "")})
            work = lambda: listings.reject(db, user, listing_id, data.reason)  # noqa: E731
        status = 400
        if data is not None:
            _, exc = await attempt(db, work)
            if exc is None:
                return redirect("/desk/approvals", "approved" if action == "approve" else "rejected")
            status, errors = refusal(request, exc, "batch_id" if action == "approve" else "reason")
        errors = {f"{listing_id}.{k}": v for k, v in errors.items()}
        return await _approvals_page(request, db, user, status, errors=errors, values=values)

    @get("/batches")
    async def batches(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, *STAFF)
        name = search_box(request)  # empty: every batch
        found = await listings.list_batches(
            db, await market_tree.staff_markets(db, user), DESK_PAGE, (page_number - 1) * DESK_PAGE, name=name or None
        )
        context = {"found": found, "page_number": page_number, "size": DESK_PAGE, "q": name, "query": kept({"q": name})}
        return page(request, "desk/batches.html", user, batches=found.items, values={}, **context)

    @post("/batches")
    async def create_batch(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, BatchIn, values)
        if data is not None:
            await listings.create_batch(db, user, data)
            return redirect(safe_back(values.get("back")), "created")
        found = (await listings.list_batches(db, await market_tree.staff_markets(db, user))).items
        return page(request, "desk/batches.html", user, 400, batches=found, values=values, errors=errors)

    # Review moderation -------------------------------------------------------------------------

    @get("/reviews")
    async def moderation(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        """Reviews to moderate, newest first: shown or hidden, by stars, by listing (the filters as the form
        sends them: an empty or unknown value is no filter)."""
        user = need(page_user, Role.curator)
        listed = await reviews.reviewed_listings(db, await market_tree.staff_markets(db, user))
        filters = {
            "hidden": chosen(request, "hidden", {"true", "false"}),
            "stars": chosen(request, "stars", {"1", "2", "3", "4", "5"}),
            "listing": chosen(request, "listing", {str(lid) for lid, _ in listed}),
        }
        found = await reviews.for_staff(
            db,
            user,
            {"true": True, "false": False}.get(filters["hidden"]),
            DESK_PAGE,
            (page_number - 1) * DESK_PAGE,
            int(filters["stars"]) if filters["stars"] else None,
            int(filters["listing"]) if filters["listing"] else None,
        )
        context = {"found": found, "page_number": page_number, "size": DESK_PAGE, "listed": listed}
        return page(request, "desk/reviews.html", user, filters=filters, query=kept(filters), **context)

    @post("/reviews/{review_id:int}/{action:str}")
    async def moderate(
        self, request: Request, review_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.curator)
        if action not in ("hide", "show"):
            raise NotFound("No such action.")
        values = await form_of(request)
        data, errors = validate(request, RequiredReasonIn, values)
        status = 400
        if data is not None:
            hide = action == "hide"
            _, exc = await attempt(db, lambda: reviews.set_hidden(db, user, review_id, hide, data.reason))
            if exc is None:
                return redirect("/desk/reviews", "hidden" if hide else "shown")
            status, errors = refusal(request, exc, "reason")
        found = await reviews.for_staff(db, user, None, 50, 0)
        errors = {f"{review_id}.{k}": v for k, v in errors.items()}
        listed = await reviews.reviewed_listings(db, await market_tree.staff_markets(db, user))
        return page(request, "desk/reviews.html", user, status, found=found, filters={}, listed=listed, errors=errors)

    # Stuck orders and disputes -----------------------------------------------------------------

    @get("/orders")
    async def stuck(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        order_state: Annotated[str | None, QueryParameter(name="state", max_length=20)] = None,
        period: FromQuery[Annotated[str | None, Parameter(max_length=10)]] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=60)]] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        """Disputes (reason, age, the order's timeline), stuck orders, and every order filtered and paged."""
        user = need(page_user, *STAFF)
        subtree = await market_tree.staff_markets(db, user)  # a parent's staff see the orders below it
        stuck = await digest.stuck_orders(db, subtree, utcnow())
        disputes = await desk_lists.disputes(db, subtree, DESK_PAGE, 0)
        # Filters a stale or hand-made link may carry that mean nothing are dropped, not refused.
        state = order_state if order_state in ORDER_STATES else None
        period = period if period in PERIODS else DEFAULT_PERIOD
        since = period_start(period, utcnow(), ZoneInfo(request.app.state.settings.time_zone))
        found = await desk_lists.orders(
            db,
            subtree,
            state=state,
            since=since,
            q=(q or "").strip() or None,
            limit=DESK_PAGE,
            offset=(page_number - 1) * DESK_PAGE,
        )
        values = {"state": state or "", "period": period, "q": q or ""}
        query = urlencode({k: v for k, v in values.items() if v}) + "&" if any(values.values()) else ""
        return page(
            request,
            "desk/orders.html",
            user,
            stuck=stuck,
            disputes=disputes,
            found=found,
            values=values,
            query=query,
            periods=PERIOD_NAMES,
            states=list(ORDER_STATES),
            page_number=page_number,
            size=DESK_PAGE,
        )

    # Accounts and roles ------------------------------------------------------------------------

    @get("/accounts")
    async def people(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        q: FromQuery[Annotated[str | None, Parameter(max_length=60)]] = None,
        role: FromQuery[Role | None] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, *STAFF)
        found = await accounts.list_users(
            db, await market_tree.staff_markets(db, user), q, role, DESK_PAGE, (page_number - 1) * DESK_PAGE
        )
        values = {"q": q or "", "role": role or ""}
        markets = await accounts.other_markets(db, user.market_id)
        return page(
            request,
            "desk/accounts.html",
            user,
            found=found,
            values=values,
            page_number=page_number,
            size=DESK_PAGE,
            markets=markets,
        )

    @post("/accounts/{user_id:int}/roles")
    async def set_roles(self, request: Request, user_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        chosen = [r for r in as_list(values.get("roles")) if r in ROLES] or ["member"]
        data, errors = validate(request, RolesIn, {"roles": chosen})
        status = 400
        if data is not None:
            current = login_session_of(request)
            _, exc = await attempt(db, lambda: accounts.set_roles(db, user, user_id, data.roles, current))
            if exc is None:
                return redirect(f"/desk/accounts?q={quote(values.get('q', ''))}", "roles")
            status, errors = refusal(request, exc, "roles")
        return await _accounts_refused(request, db, user, user_id, status, errors)

    @post("/accounts/{user_id:int}/phone")
    async def reveal_phone(self, request: Request, user_id: IdParam, page_user: PageUser, db: Db) -> Template:
        """The whole number beside the account, for a reason the audit trail keeps (PIPL). Shown in this
        answer only (never stored by the browser: logged-in answers are no-store); each showing is recorded."""
        user = need(page_user, *STAFF)
        values = await form_of(request)
        data, errors = validate(request, RevealIn, {"reason": values.get("reason", "")})
        status, revealed = 400, {}
        if data is not None:
            phone, exc = await attempt(db, lambda: personal_data.reveal_phone(db, user, user_id, data.reason))
            if exc is None:
                status, revealed = 200, {user_id: phone}
            else:
                status, errors = refusal(request, exc, "reason")
        q = str(values.get("q", ""))[:60]
        found = await accounts.list_users(db, await market_tree.staff_markets(db, user), q or None, None, DESK_PAGE, 0)
        return page(
            request,
            "desk/accounts.html",
            user,
            status,
            found=found,
            values={"q": q, "role": ""},
            errors={f"{user_id}.reason": text for text in errors.values()},
            markets=await accounts.other_markets(db, user.market_id),
            revealed=revealed,
        )

    @post("/accounts/{user_id:int}/{action:str}")
    async def set_active(
        self, request: Request, user_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """Deactivate (logged out everywhere, no login) or reactivate an account."""
        user = need(page_user, *STAFF)
        if action not in ("deactivate", "activate"):
            raise NotFound("No such action.")
        values = await form_of(request)
        active = action == "activate"
        _, exc = await attempt(db, lambda: accounts.set_active(db, user, user_id, active))
        if exc is None:
            return redirect(f"/desk/accounts?q={quote(values.get('q', ''))}", f"{action}d")
        status, errors = refusal(request, exc, "roles")
        return await _accounts_refused(request, db, user, user_id, status, errors)

    @post("/accounts/{user_id:int}/groups")
    async def confirm_groups(
        self, request: Request, user_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """The groups ticked are confirmed; a claim left unticked is turned down."""
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, GroupsIn, {"groups": [g for g in as_list(values.get("groups")) if g]})
        if data is not None:
            _, exc = await attempt(db, lambda: accounts.confirm_groups(db, user, user_id, data.groups))
            if exc is None:
                return redirect(f"/desk/accounts?q={quote(values.get('q', ''))}", "groups")
            _, errors = refusal(request, exc, "groups")
        found = await accounts.list_users(db, await market_tree.staff_markets(db, user), None, None, 50, 0)
        errors = {f"{user_id}.{k}": v for k, v in errors.items()}
        return page(request, "desk/accounts.html", user, 400, found=found, values={"q": "", "role": ""}, errors=errors)

    @post("/accounts/{user_id:int}/markets")
    async def order_markets(
        self, request: Request, user_id: IdParam, page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """The other markets ticked are where this member may order too (a curator's decision, audited)."""
        user = need(page_user, Role.curator)
        values = await form_of(request)
        chosen = [form_id(m) for m in as_list(values.get("market_ids"))]
        data, errors = validate(request, OrderMarketsIn, {"market_ids": [m for m in chosen if m is not None]})
        if data is not None:
            _, exc = await attempt(db, lambda: accounts.set_order_markets(db, user, user_id, data.market_ids))
            if exc is None:
                return redirect(f"/desk/accounts?q={quote(values.get('q', ''))}", "markets")
            _, errors = refusal(request, exc, "market_ids")
        return await _accounts_refused(request, db, user, user_id, 400, errors)

    # Exports -----------------------------------------------------------------------------------

    @get("/export/{name:str}")
    async def export(self, request: Request, name: FromPath[str], page_user: PageUser, db: Db) -> Response:
        """orders|reviews|audit .csv|.xlsx, in the page's language (headers, states, local times)."""
        user = need(page_user, Role.curator)
        stem, _, kind = name.partition(".")
        make = _EXPORTS.get(stem)
        if make is None or kind not in ("csv", "xlsx"):
            raise NotFound("No such export.")
        words = _export_words(request)
        directory = exports.exports_dir(request.app.state.settings)
        chunks = exports.xlsx_chunks if kind == "xlsx" else lambda table, _: exports.csv_chunks(table)
        # streamed as it is read, in a session of its own that lives as long as the response does; closed
        # after the response, sent or dropped, so an XLSX's temporary files go at once
        body = _streamed(
            request.app.state.sessionmaker, make, await market_tree.staff_markets(db, user), words, chunks, directory
        )
        return Stream(
            body,
            media_type=exports.XLSX_TYPE if kind == "xlsx" else "text/csv",  # Litestar adds "; charset=utf-8" to text/
            headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"'},
            background=BackgroundTask(body.aclose),
        )

    # The audit trail ---------------------------------------------------------------------------

    @get("/audit")
    async def audit(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        """Who did what to accounts, the catalogue, reviews and orders, when and why (newest first); filtered
        by the kind of act, what it was done to, and the period (unknown values are left out, not refused:
        the form's own empty choices included)."""
        user = need(page_user, Role.curator)
        query = request.query_params
        action = query.get("action") if query.get("action") in labels.AUDIT_ACTIONS else None
        target = query.get("target") if query.get("target") in labels.AUDIT_TARGETS else None
        days = query.get("days") if query.get("days") in ("7", "30", "90", "365") else None
        since = utcnow() - timedelta(days=int(days)) if days else None
        found = await audit_trail.trail(
            db,
            user.market_id,
            AUDIT_PAGE,
            (page_number - 1) * AUDIT_PAGE,
            action=action,
            target_type=target,
            since=since,
        )
        kept = urlencode({k: v for k, v in (("action", action), ("target", target), ("days", days)) if v})
        return page(
            request,
            "desk/audit.html",
            user,
            found=found,
            page_number=page_number,
            size=AUDIT_PAGE,
            chosen={"action": action or "", "target": target or "", "days": days or ""},
            query=f"{kept}&" if kept else "",
            actions=sorted(labels.AUDIT_ACTIONS),
            targets=sorted(labels.AUDIT_TARGETS),
        )


PERIOD_NAMES = [
    ("7d", N_("7 days")),
    ("30d", N_("30 days")),
    ("90d", N_("90 days")),
    ("year", N_("This year")),
    ("all", N_("All time")),
]
_BUCKET_SKELETON = {"day": "MMMd", "week": "MMMd", "month": "yMMM"}


def _trend_charts(request: Request, stats) -> dict:
    """The period's trends as server-drawn SVG line charts, labelled in the page's language."""
    lang = lang_of(request)
    points = stats.trend.points if stats.trend else []
    labels = [when(request, p.starts, _BUCKET_SKELETON[stats.trend.unit]) for p in points]
    orders = [
        Series(tr(lang, N_("Ordered")), [p.ordered for p in points]),
        Series(tr(lang, N_("Delivered")), [p.delivered for p in points]),
        Series(tr(lang, N_("Reviewed")), [p.reviewed for p in points]),
    ]
    stars = [Series(tr(lang, N_("Average stars")), [p.average_stars for p in points])]
    return {
        "orders": line_chart(tr(lang, N_("Orders over time")), labels, orders) if points else None,
        "orders_legend": [s.name for s in orders],
        "stars": line_chart(tr(lang, N_("Average stars over time")), labels, stars) if points else None,
    }


async def _accounts_refused(request: Request, db, user, user_id: int, status: int, errors: dict) -> Template:
    found = await accounts.list_users(db, await market_tree.staff_markets(db, user), None, None, 50, 0)
    errors = {f"{user_id}.roles": text for text in errors.values()}
    markets = await accounts.other_markets(db, user.market_id)
    values = {"q": "", "role": ""}
    return page(request, "desk/accounts.html", user, status, found=found, values=values, errors=errors, markets=markets)


def safe_back(path: str | None) -> str:
    return path if path in ("/desk/batches", "/desk/approvals") else "/desk/batches"


_EXPORTS = {"orders": exports.orders_table, "reviews": exports.reviews_table, "audit": exports.audit_table}


def _export_words(request: Request) -> exports.Words:
    lang = lang_of(request)

    def label(table: str, value: str | None) -> str:
        message = getattr(labels, table).get(value or "")
        return tr(lang, message) if message else (value or "")

    return exports.Words(lang, ZoneInfo(request.app.state.settings.time_zone), label)


async def _streamed(
    sessionmaker, make, market_ids: list[int], words: exports.Words, chunks, directory
) -> AsyncIterator:
    async with sessionmaker() as db, db.begin():
        async for chunk in chunks(await make(db, market_ids, words), directory):
            yield chunk


async def _categories_page(request: Request, db, user, status: int = 200, **context) -> Template:
    tree = await categories.tree(db, user.market_id, include_archived=True)
    context.setdefault("values", {})
    return page(
        request, "desk/categories.html", user, status, tree=tree.items, flat=flat_categories(tree.items), **context
    )


# Why a listing of a bulk approval was not approved, as carried in the address after it.
_REFUSAL_CODES = {
    "state": N_("it is no longer waiting for approval"),
    "far": N_("a session starts more than two years ahead"),
    "gone": N_("it was not found"),
}


def _refusal_code(exc: Exception) -> str:
    if isinstance(exc, NotFound):
        return "gone"
    return "far" if "two years" in getattr(exc, "detail", "") else "state"


async def _refused_listings(db, user, text: str | None) -> list[dict]:
    """The listings a bulk approval left out, each with its title and why (codes from the address)."""
    pairs = []
    for part in (text or "").split(",")[:100]:
        number, _, code = part.partition(".")
        listing_id = form_id(number)
        if listing_id and code in _REFUSAL_CODES:
            pairs.append((listing_id, code))
    titles = await listings.titles(db, await market_tree.staff_markets(db, user), [i for i, _ in pairs])
    return [{"id": i, "title": titles.get(i, f"#{i}"), "why": _REFUSAL_CODES[code]} for i, code in pairs]


async def _approvals_page(request: Request, db, user, status: int = 200, **context) -> Template:
    page_number = context.pop("page_number", 1)
    # Filters as the form sends them (empty: all); an unknown category or provider is none asked.
    tree = flat_categories((await categories.tree(db, user.market_id)).items)
    subtree = await market_tree.staff_markets(db, user)  # a parent's curator approves for the markets below
    providers = await menu.waiting_providers(db, subtree)
    category = chosen(request, "category", {str(row[0]) for row in tree})
    provider = chosen(request, "provider", {str(pid) for pid, _ in providers})
    waiting = await menu.waiting_for_approval(
        db,
        subtree,
        DESK_PAGE,
        (page_number - 1) * DESK_PAGE,
        int(category) if category else None,
        int(provider) if provider else None,
    )
    context.setdefault("refused", [])
    filters = {"category": category, "provider": provider}
    context.update(page_number=page_number, size=DESK_PAGE, filters=filters, query=kept(filters))
    context.update(categories=tree, providers=providers, shares_below=len(subtree) > 1)
    found = (await listings.list_batches(db, subtree)).items
    context.setdefault("values", {})
    shown = {str(item.id) for item in waiting.items}
    # A refusal about a listing no longer waiting has no form to sit beside: it goes on top of the page.
    context["errors"] = {
        (key if key == "bulk" or key.split(".")[0] in shown else "form"): text
        for key, text in context.get("errors", {}).items()
    }
    return page(request, "desk/approvals.html", user, status, waiting=waiting, batches=found, **context)
