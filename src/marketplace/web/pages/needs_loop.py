"""The desk's needs loop: importing questionnaires (upload, mapping, preview, progress), the needs
classification list with its charts and downloads, the supply gaps and the invitations that close them."""

from datetime import date
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import Parameter
from litestar.response import Redirect, Response, Stream, Template

from ...db import settings_of
from ...domain.roles import Role
from ...domain.surveys import FIELDS, GROUPS
from ...errors import InvalidInput
from ...services import exports, gaps, market_tree, needs_list, needs_list_export, surveys
from ..bodies import UPLOADS
from ..common import ONE_LINE, Db, IdParam
from ..surveys import UPLOAD_LIMIT
from . import charts, imports
from .common import PAGE_DEPENDENCIES, PageUser, attempt, form_id, form_of, need, page, refusal
from .i18n import N_, lang_of, tr
from .once import once
from .refusals import row_faults

DateQuery = Annotated[date | None, Parameter(required=False)]
TextQuery = Annotated[str | None, Parameter(max_length=60, pattern=ONE_LINE, required=False)]
IdQuery = Annotated[int | None, Parameter(ge=1, le=2**31 - 1, required=False)]
FIELD_LABELS = {
    "need": N_("The need (free text)"),
    "group": N_("Respondent's group"),
    "district": N_("District or workplace"),
    "age_band": N_("Age band"),
    "mode": N_("Preferred mode"),
    "times": N_("Preferred times"),
    "answered_at": N_("Answered at"),
}
GROUP_OTHER = N_("Other groups")
GROUP_UNKNOWN = N_("Not said")


def _curator(page_user) -> object:
    return need(page_user, Role.curator)


def _period(db, since, until):
    return needs_list.period_of(since, until, settings_of(db).time_zone)


class NeedsLoopPages(Controller):
    path = "/desk"
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/surveys")
    async def imports(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = _curator(page_user)
        found, total = await surveys.list_imports(db, user.market_id)
        return page(request, "desk/surveys.html", user, found=found, total=total)

    @post("/surveys", opt=UPLOADS, request_max_body_size=UPLOAD_LIMIT)
    async def upload(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = _curator(page_user)
        done, errors = await imports.take_upload(request, db, user, surveys.upload, "/desk/surveys/")
        if done is not None:
            return done
        found, total = await surveys.list_imports(db, user.market_id)
        return page(request, "desk/surveys.html", user, 400, found=found, total=total, errors=errors)

    @get("/surveys/{import_id:int}")
    async def one(self, request: Request, import_id: IdParam, page_user: PageUser, db: Db) -> Template:
        user = _curator(page_user)
        return await _import_page(request, db, user, import_id)

    @get("/surveys/{import_id:int}/progress")
    async def progress(self, import_id: IdParam, page_user: PageUser, db: Db) -> dict:
        """How far the import has come, for the page's script (the page refreshes itself without one)."""
        user = _curator(page_user)
        return imports.progress(await surveys.get_import(db, user.market_id, import_id))

    @post("/surveys/{import_id:int}/mapping")
    async def mapping(self, request: Request, import_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = _curator(page_user)
        values = await form_of(request)
        raw = {f.value: values.get(f.value) or None for f in FIELDS}

        async def work() -> str:
            await surveys.set_mapping(db, user, import_id, raw)
            return f"/desk/surveys/{import_id}?ok=mapped"

        done, status, errors = await imports.act(request, db, user, work)
        return done or await _import_page(request, db, user, import_id, status, errors=errors)

    @post("/surveys/{import_id:int}/start")
    async def start(self, request: Request, import_id: IdParam, page_user: PageUser, db: Db) -> Template | Redirect:
        user = _curator(page_user)

        async def work() -> str:
            await surveys.start(db, user, import_id)
            return f"/desk/surveys/{import_id}?ok=started"

        done, status, errors = await imports.act(request, db, user, work)
        return done or await _import_page(request, db, user, import_id, status, errors=errors)

    @get("/needs-list")
    async def needs(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        since: DateQuery = None,
        until: DateQuery = None,
        domain: IdQuery = None,
        group: TextQuery = None,
        district: TextQuery = None,
    ) -> Template:
        user = _curator(page_user)
        found, status, errors = await _needs(request, db, user, since, until, domain, group, district)
        lang = lang_of(request)
        context = {
            "listed": found,
            "errors": errors,
            "query": request.url.query or "",
            "group_name": lambda g: group_name(lang, g),
        }
        if found is not None:
            context.update(_needs_charts(lang, found))
        tree = await needs_list.tree(db, [user.market_id])
        domains = sorted((k, v[1], v[2]) for k, v in tree.items() if v[0] is None)
        values = {
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
            "domain": str(domain or ""),
            "group": group or "",
            "district": district or "",
        }
        return page(
            request, "desk/needs_list.html", user, status, values=values, domains=domains, groups=GROUPS, **context
        )

    @get(["/needs-list.csv", "/needs-list.xlsx"])
    async def download(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        since: DateQuery = None,
        until: DateQuery = None,
        domain: IdQuery = None,
        group: TextQuery = None,
        district: TextQuery = None,
    ) -> Response:
        user = _curator(page_user)
        fmt = request.url.path.rsplit(".", 1)[1]
        found, _, errors = await _needs(request, db, user, since, until, domain, group, district)
        if found is None:
            raise InvalidInput(next(iter(errors.values())), field=next(iter(errors)))
        # Chinese headers and group names whatever the page's language (the union's files are Chinese)
        args = (found, lambda g: group_name("zh-CN", g), settings_of(db).time_zone)
        headers = {"Content-Disposition": f'attachment; filename="needs-list.{fmt}"'}
        if fmt == "csv":
            return Response(needs_list_export.csv_bytes(*args), media_type=needs_list_export.CSV_TYPE, headers=headers)
        # as every workbook: through temporary files, removed after the response (sent or dropped)
        body = exports.xlsx_chunks(needs_list_export.sheet(*args), exports.exports_dir(settings_of(db)))
        return Stream(body, media_type=exports.XLSX_TYPE, headers=headers, background=BackgroundTask(body.aclose))

    @get("/gaps")
    async def gaps_page(
        self, request: Request, page_user: PageUser, db: Db, since: DateQuery = None, until: DateQuery = None
    ) -> Template:
        user = _curator(page_user)
        return await _gaps_page(request, db, user, since, until)

    @post("/gaps/invite")
    async def invite(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = _curator(page_user)
        values = await form_of(request)
        category_id = form_id(str(values.get("category_id", "")))
        since, until = _day(values.get("since")), _day(values.get("until"))
        errors: dict[str, str] = {}
        status = 400
        if category_id is None:
            errors = {"form": tr(lang_of(request), "Please choose one of the options.")}
        else:

            async def work() -> str:
                period = _period(db, since, until)
                await gaps.invite(db, user, category_id, period)
                query = "&".join(f"{k}={v.isoformat()}" for k, v in (("since", since), ("until", until)) if v)
                return f"/desk/gaps?{query}&ok=invited" if query else "/desk/gaps?ok=invited"

            location, exc = await attempt(db, lambda: once(request, db, user, work))
            if exc is None:
                return Redirect(location, status_code=303)
            status, errors = refusal(request, exc, "form")
        return await _gaps_page(request, db, user, since, until, status, errors)


def _day(text) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def group_name(lang: str, group: str) -> str:
    from .labels import GROUPS as NAMES

    if group in NAMES:
        return tr(lang, NAMES[group])
    return tr(lang, GROUP_OTHER if group else GROUP_UNKNOWN)


async def _import_page(request: Request, db, user, import_id: int, status: int = 200, **context) -> Template:
    found, rows = await surveys.preview(db, user.market_id, import_id)
    labels = [(f.value, FIELD_LABELS[f.value]) for f in FIELDS]
    return page(
        request,
        "desk/survey.html",
        user,
        status,
        found=found,
        rows=rows,
        fields=labels,
        progress=imports.progress(found),
        bad=row_faults(lang_of(request), found.errors),
        **context,
    )


async def _needs(request, db, user, since, until, domain, group, district):
    try:
        if group and group not in GROUPS:
            raise InvalidInput("No such group.", field="group")
        period = _period(db, since, until)
    except InvalidInput as exc:
        return None, 400, refusal(request, exc, "since")[1]
    filters = needs_list.Filters(domain, group or None, district or None)
    return await needs_list.needs_list(db, await market_tree.staff_markets(db, user), period, filters), 200, {}


def _needs_charts(lang: str, found) -> dict:
    name = (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)
    domain_names = {d: name(zh, en) for d, zh, en, _ in found.domains}
    top = [d for d, *_ in found.domains[:4]]
    series = [charts.Series(domain_names[d], found.trend[d]) for d in top]
    return {
        "chart_domains": charts.bar_chart(
            tr(lang, "Needs per domain"), [(domain_names[d], n) for d, _, _, n in found.domains]
        ),
        "chart_trend": charts.line_chart(tr(lang, "Needs per month"), found.months, series),
        "chart_legend": charts.legend(series),
        "chart_categories": charts.hbar_chart(
            tr(lang, "Needs per category"), [(name(r.name_zh, r.name_en), r.total) for r in found.rows[:15]]
        ),
        "chart_groups": charts.hbar_chart(
            tr(lang, "Needs per respondent group"), [(group_name(lang, g), n) for g, n in found.groups]
        ),
    }


async def _gaps_page(request, db, user, since, until, status: int = 200, errors: dict | None = None) -> Template:
    errors = dict(errors or {})
    try:
        period = _period(db, since, until)
    except InvalidInput as exc:
        status, found_errors = refusal(request, exc, "since")
        errors.update(found_errors)
        period = _period(db, None, None)
    found = await gaps.gaps(db, user.market_id, period)
    lang = lang_of(request)
    name = (lambda g: g.name_en) if lang == "en" else (lambda g: g.name_zh)
    chart = charts.hbar_chart(tr(lang, "Largest gaps"), [(name(g), g.gap) for g in found[:12] if g.gap > 0])
    values = {"since": since.isoformat() if since else "", "until": until.isoformat() if until else ""}
    return page(
        request, "desk/gaps.html", user, status, gaps=found, chart=chart, values=values, errors=errors, period=period
    )
