"""The real-name roster on pages: the desk's roster (import with mapping, preview, progress and bad rows;
search; the market's "verified members only"), the curators' verification requests, and the member's own
verification page."""

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Redirect, Template

from ...domain import roster as rules
from ...domain.phones import mask_phone
from ...domain.roles import MemberGroup, Role
from ...errors import NotFound
from ...schemas.roster import DeclineIn, VerificationIn
from ...services import roster
from ..bodies import UPLOADS
from ..common import ONE_LINE, Db, IdParam
from ..roster import UPLOAD_LIMIT
from . import imports
from .common import PAGE_DEPENDENCIES, PageUser, as_list, attempt, form_of, need, page, refusal, validate
from .i18n import N_, lang_of
from .labels import GROUPS
from .once import once
from .refusals import row_faults, words

DESK_PAGE = 20
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=10_000)]
QueryText = Annotated[str | None, Parameter(max_length=60, pattern=ONE_LINE, required=False)]
StateQuery = Annotated[str | None, QueryParameter(name="state", max_length=20, required=False)]
FIELD_LABELS = {
    "name": N_("Name"),
    "phone": N_("Phone number"),
    "union_card": N_("Union card number"),
    "workplace": N_("Workplace union"),
    "groups": N_("Groups"),
}
REQUEST_STATES = {
    "pending": N_("Waiting"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "closed": N_("Settled otherwise"),
}


def _group_options() -> list[tuple[str, str]]:
    return [(g.value, GROUPS[g.value]) for g in MemberGroup]


def _progress(found) -> dict:
    return {
        **imports.progress(found),
        "updated": found.updated_rows,
        "verified": found.verified_users,
        "mismatches": found.name_mismatches,
    }


class RosterPages(Controller):
    path = "/desk"
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/roster")
    async def roster_page(
        self, request: Request, page_user: PageUser, db: Db, q: QueryText = None, page_number: PageNumber = 1
    ) -> Template:
        user = need(page_user, Role.curator)
        return await _roster_page(request, db, user, q, page_number)

    @post("/roster", opt=UPLOADS, request_max_body_size=UPLOAD_LIMIT)
    async def upload(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        done, errors = await imports.take_upload(request, db, user, roster.upload, "/desk/roster/imports/")
        if done is not None:
            return done
        return await _roster_page(request, db, user, None, 1, 400, errors=errors)

    @post("/roster/settings")
    async def settings(self, request: Request, page_user: PageUser, db: Db) -> Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)

        async def work() -> str:
            await roster.set_verified_only(db, user, values.get("verified_only") == "1")
            return "/desk/roster?ok=roster_settings"

        location, _ = await attempt(db, lambda: once(request, db, user, work))
        return Redirect(location or "/desk/roster", status_code=303)

    @get("/roster/imports/{import_id:int}")
    async def one(self, request: Request, import_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = need(page_user, Role.curator)
        return await _import_page(request, db, user, import_id)

    @get("/roster/imports/{import_id:int}/progress")
    async def progress(self, import_id: IdParam, page_user: PageUser, db: Db) -> dict:
        """How far the import has come, for the page's script (the page refreshes itself without one)."""
        user = need(page_user, Role.curator)
        return _progress(await roster.get_import(db, user.market_id, import_id))

    @post("/roster/imports/{import_id:int}/mapping")
    async def mapping(self, request: Request, import_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)
        values = await form_of(request)
        raw = {f.value: values.get(f.value) or None for f in rules.FIELDS}

        async def work() -> str:
            await roster.set_mapping(db, user, import_id, raw)
            return f"/desk/roster/imports/{import_id}?ok=mapped"

        done, status, errors = await imports.act(request, db, user, work)
        return done or await _import_page(request, db, user, import_id, status, errors=errors)

    @post("/roster/imports/{import_id:int}/start")
    async def start(self, request: Request, import_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user, Role.curator)

        async def work() -> str:
            await roster.start(db, user, import_id)
            return f"/desk/roster/imports/{import_id}?ok=started"

        done, status, errors = await imports.act(request, db, user, work)
        return done or await _import_page(request, db, user, import_id, status, errors=errors)

    @get("/verifications")
    async def requests(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        q: QueryText = None,
        request_state: StateQuery = "pending",
        page_number: PageNumber = 1,
    ) -> Template:
        user = need(page_user, Role.curator)
        return await _requests_page(request, db, user, q, request_state, page_number)

    @post("/verifications/{request_id:int}/{action:str}")
    async def decide(
        self, request: Request, request_id: IdParam, action: FromPath[str], page_user: PageUser, db: Db
    ) -> Template | Redirect:
        """Approve with the groups ticked, or decline with a reason."""
        user = need(page_user, Role.curator)
        values = await form_of(request)
        back = {"q": values.get("q", ""), "state": values.get("state", "pending")}
        errors: dict[str, str] = {}
        if action == "approve":
            groups = [g for g in as_list(values.get("groups")) if g in MemberGroup.__members__]

            async def work() -> str:
                await roster.approve(db, user, request_id, groups)
                return f"/desk/verifications?{urlencode(back)}&ok=verification_approved"

        elif action == "decline":
            data, errors = validate(request, DeclineIn, {"reason": values.get("reason", "")})

            async def work() -> str:
                await roster.decline(db, user, request_id, data.reason)
                return f"/desk/verifications?{urlencode(back)}&ok=verification_declined"

            if data is None:
                work = None
        else:
            raise NotFound("No such action.")
        status = 400
        if work is not None:
            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "reason")
            errors = {**errors, "form": next(iter(errors.values()))}  # also told at the top: it may be gone
        errors = {f"{request_id}.{k}" if k != "form" else k: v for k, v in errors.items()}
        state = back["state"] if back["state"] in roster.REQUEST_STATES else None
        return await _requests_page(request, db, user, back["q"] or None, state, 1, status, errors=errors)


async def _roster_page(request, db, user, q, page_number, status: int = 200, **context) -> Template:
    found, total = await roster.entries(db, user.market_id, q, DESK_PAGE, (page_number - 1) * DESK_PAGE)
    imports, imports_total = await roster.list_imports(db, user.market_id, 10, 0)
    market = await roster.market_of(db, user.market_id)
    return page(
        request,
        "desk/roster.html",
        user,
        status,
        entries=found,
        listed={"total": total},
        imports=imports,
        imports_total=imports_total,
        market=market,
        values={"q": q or ""},
        page_number=page_number,
        size=DESK_PAGE,
        **context,
    )


async def _import_page(request: Request, db, user, import_id: int, status: int = 200, **context) -> Template:
    found, rows = await roster.preview(db, user.market_id, import_id)
    lang = lang_of(request)
    preview = [
        {"row": r.row, "fault": words(lang, r.reason, r.params) or r.reason}
        if isinstance(r, rules.Fault)
        else {"row": r.row, "entry": r}
        for r in rows
    ]
    return page(
        request,
        "desk/roster_import.html",
        user,
        status,
        found=found,
        rows=preview,
        bad=row_faults(lang, found.errors),
        fields=[(f.value, FIELD_LABELS[f.value]) for f in rules.FIELDS],
        progress=_progress(found),
        **context,
    )


async def _requests_page(request, db, user, q, state, page_number, status: int = 200, **context) -> Template:
    state = state if state in roster.REQUEST_STATES else None
    found, total = await roster.requests(db, user.market_id, state, q, DESK_PAGE, (page_number - 1) * DESK_PAGE)
    query = urlencode({"q": q or "", "state": state or ""}) + "&"
    return page(
        request,
        "desk/verifications.html",
        user,
        status,
        found=[(row, mask_phone(row.member.phone)) for row in found],
        listed={"total": total},
        values={"q": q or "", "state": state or ""},
        states=REQUEST_STATES,
        group_options=_group_options(),
        page_number=page_number,
        size=DESK_PAGE,
        query=query,
        **context,
    )


class VerificationPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/me/verification")
    async def mine(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user)
        return await _verification_page(request, db, user)

    @post("/me/verification")
    async def ask(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        values["groups"] = [g for g in as_list(values.get("groups")) if g in MemberGroup.__members__]
        data, errors = validate(request, VerificationIn, values)
        status = 400
        if data is not None:

            async def work() -> str:
                groups = [g.value for g in data.groups]
                await roster.ask(db, user, data.union_card, data.workplace, groups, data.note)
                return "/me/verification?ok=verification_asked"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "union_card")
        return await _verification_page(request, db, user, status, values=values, errors=errors)


async def _verification_page(request, db, user, status: int = 200, **context) -> Template:
    found = await roster.standing(db, user)
    pending = found.request if found.request and found.request.state == "pending" else None
    if "values" not in context:
        source = pending or found.request
        context["values"] = {
            "union_card": (source.union_card if source else "") or (user.union_card or ""),
            "workplace": source.workplace if source else "",
            "groups": list(source.groups) if pending else sorted({*user.groups, *user.claimed_groups}),
            "note": source.note if pending else "",
        }
    return page(
        request,
        "account/verification.html",
        user,
        status,
        standing=found,
        pending=pending,
        states=REQUEST_STATES,
        group_options=_group_options(),
        **context,
    )
