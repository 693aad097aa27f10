"""The union desk: figures, the category tree, approvals into batches, moderation, stuck orders, accounts.

Curators see all of it; operators see the figures and the stuck orders (their role runs the market day to day).
"""

from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter
from litestar.response import Redirect, Template

from ...auth import login_session_of
from ...domain.roles import Role
from ...errors import NotFound
from ...models.base import utcnow
from ...schemas.accounts import GroupsIn, RolesIn
from ...schemas.catalog_categories import CategoryIn, CategoryPatch
from ...schemas.listings import ApproveIn, BatchIn
from ...schemas.orders import RequiredReasonIn
from ...services import accounts, audit_trail, categories, digest, exports, insights, listings, menu, reviews
from ..common import Db, IdParam
from . import labels
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    as_list,
    attempt,
    flat_categories,
    form_of,
    need,
    page,
    redirect,
    refusal,
    validate,
)
from .i18n import lang_of, tr
from .labels import ROLES

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
    async def dashboard(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, *STAFF)
        stats = await insights.stats(db, user.market_id)
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
        return page(request, "desk/dashboard.html", user, stats=stats, charts=charts)

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
    async def approvals(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator)
        return await _approvals_page(request, db, user)

    @post("/listings/{listing_id:int}/{action:str}")
    async def decide(
        self, request: Request, listing_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        user = need(page_user, Role.curator)
        if action not in ("approve", "reject"):
            raise NotFound("No such action.")
        values = await form_of(request)
        if action == "approve":
            data, errors = validate(request, ApproveIn, {"batch_id": values.get("batch_id") or None})
            work = lambda: listings.approve(db, user, listing_id, data.batch_id)  # noqa: E731
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
    async def batches(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, *STAFF)
        found = (await listings.list_batches(db, user.market_id)).items
        return page(request, "desk/batches.html", user, batches=found, values={})

    @post("/batches")
    async def create_batch(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        data, errors = validate(request, BatchIn, values)
        if data is not None:
            await listings.create_batch(db, user, data)
            return redirect(safe_back(values.get("back")), "created")
        found = (await listings.list_batches(db, user.market_id)).items
        return page(request, "desk/batches.html", user, 400, batches=found, values=values, errors=errors)

    # Review moderation -------------------------------------------------------------------------

    @get("/reviews")
    async def moderation(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        hidden: FromQuery[bool | None] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        user = need(page_user, Role.curator)
        found = await reviews.for_staff(db, user, hidden, DESK_PAGE, (page_number - 1) * DESK_PAGE)
        context = {"found": found, "hidden": hidden, "page_number": page_number, "size": DESK_PAGE}
        return page(request, "desk/reviews.html", user, **context)

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
        return page(request, "desk/reviews.html", user, status, found=found, hidden=None, errors=errors)

    # Stuck orders and disputes -----------------------------------------------------------------

    @get("/orders")
    async def stuck(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, *STAFF)
        stuck = await digest.stuck_orders(db, user.market_id, utcnow())
        return page(request, "desk/orders.html", user, stuck=stuck)

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
        found = await accounts.list_users(db, user.market_id, q, role, DESK_PAGE, (page_number - 1) * DESK_PAGE)
        values = {"q": q or "", "role": role or ""}
        return page(
            request, "desk/accounts.html", user, found=found, values=values, page_number=page_number, size=DESK_PAGE
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
        found = await accounts.list_users(db, user.market_id, None, None, 50, 0)
        errors = {f"{user_id}.{k}": v for k, v in errors.items()}
        return page(request, "desk/accounts.html", user, 400, found=found, values={"q": "", "role": ""}, errors=errors)

    # Exports -----------------------------------------------------------------------------------

    @get("/export/{name:str}")
    async def export(self, request: Request, name: FromPath[str], page_user: PageUser, db: Db) -> Response:
        """orders|reviews|audit .csv|.xlsx, in the page's language (headers, states, local times)."""
        user = need(page_user, Role.curator)
        stem, _, kind = name.partition(".")
        make = _EXPORTS.get(stem)
        if make is None or kind not in ("csv", "xlsx"):
            raise NotFound("No such export.")
        table = await make(db, user.market_id, _export_words(request))
        if kind == "xlsx":
            return Response(
                exports.xlsx_bytes(table),
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{table.name}.xlsx"'},
            )
        return _csv_response(exports.csv_text(table), f"{table.name}.csv")

    # The audit trail ---------------------------------------------------------------------------

    @get("/audit")
    async def audit(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        """Who did what to accounts, the catalogue, reviews and orders, when and why (newest first)."""
        user = need(page_user, Role.curator)
        found = await audit_trail.trail(db, user.market_id, AUDIT_PAGE, (page_number - 1) * AUDIT_PAGE)
        return page(request, "desk/audit.html", user, found=found, page_number=page_number, size=AUDIT_PAGE)


async def _accounts_refused(request: Request, db, user, user_id: int, status: int, errors: dict) -> Template:
    found = await accounts.list_users(db, user.market_id, None, None, 50, 0)
    errors = {f"{user_id}.roles": text for text in errors.values()}
    return page(request, "desk/accounts.html", user, status, found=found, values={"q": "", "role": ""}, errors=errors)


def safe_back(path: str | None) -> str:
    return path if path in ("/desk/batches", "/desk/approvals") else "/desk/batches"


_EXPORTS = {"orders": exports.orders_table, "reviews": exports.reviews_table, "audit": exports.audit_table}


def _export_words(request: Request) -> exports.Words:
    lang = lang_of(request)

    def label(table: str, value: str | None) -> str:
        message = getattr(labels, table).get(value or "")
        return tr(lang, message) if message else (value or "")

    return exports.Words(lang, ZoneInfo(request.app.state.settings.time_zone), label)


def _csv_response(body: str, name: str) -> Response:
    return Response(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to a text/ type itself
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _categories_page(request: Request, db, user, status: int = 200, **context) -> Template:
    tree = await categories.tree(db, user.market_id, include_archived=True)
    context.setdefault("values", {})
    return page(
        request, "desk/categories.html", user, status, tree=tree.items, flat=flat_categories(tree.items), **context
    )


async def _approvals_page(request: Request, db, user, status: int = 200, **context) -> Template:
    waiting = await menu.waiting_for_approval(db, user.market_id, 50, 0)
    found = (await listings.list_batches(db, user.market_id)).items
    context.setdefault("values", {})
    shown = {str(item.id) for item in waiting.items}
    # A refusal about a listing no longer waiting has no form to sit beside: it goes on top of the page.
    context["errors"] = {
        (key if key.split(".")[0] in shown else "form"): text for key, text in context.get("errors", {}).items()
    }
    return page(request, "desk/approvals.html", user, status, waiting=waiting, batches=found, **context)
