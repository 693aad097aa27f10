"""Register, log in and out, the language switch and the member's own settings."""

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from ... import auth
from ...domain.roles import MemberGroup
from ...schemas.accounts import LoginIn, MeUpdateIn, RegisterIn
from ...services import accounts
from ..common import Db, MarketId
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    as_list,
    attempt,
    form_of,
    need,
    page,
    redirect,
    refusal,
    safe_next,
    session_cookie,
    validate,
)
from .i18n import LANG_COOKIE, LANGUAGES
from .labels import GROUPS


class AccountPages(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/register")
    async def register_form(self, request: Request, page_user: PageUser) -> Template:
        return page(request, "account/register.html", page_user, values={})

    @post("/register")
    async def register(self, request: Request, db: Db, market_id: MarketId) -> Template | Redirect:
        values = await form_of(request)
        data, errors = validate(request, RegisterIn, values)
        if data is not None:
            settings = request.app.state.settings
            user, exc = await attempt(db, lambda: accounts.register(db, settings, market_id, data))
            if exc is None:
                token = auth.issue_token(settings, user.id)
                return Redirect("/?ok=welcome", status_code=303, cookies=[session_cookie(request, token)])
            status, errors = refusal(request, exc, "phone")
        values.pop("password", None)  # a refused password is typed again, never sent back
        status = 400 if data is None else status
        return page(request, "account/register.html", None, status, values=values, errors=errors)

    @get("/login")
    async def login_form(
        self,
        request: Request,
        page_user: PageUser,
        next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/",
    ) -> Template:
        return page(request, "account/login.html", page_user, values={"next": safe_next(next_path)})

    @post("/login")
    async def login(self, request: Request, db: Db) -> Template | Redirect:
        values = await form_of(request)
        data, errors = validate(request, LoginIn, values)
        status = 400
        if data is not None:
            settings = request.app.state.settings
            token, exc = await attempt(db, lambda: accounts.login(db, settings, data.phone, data.password))
            if exc is None:
                target = safe_next(values.get("next"))
                target += ("&" if "?" in target else "?") + "ok=hello"
                return Redirect(target, status_code=303, cookies=[session_cookie(request, token)])
            status, errors = refusal(request, exc, "password")
        values.pop("password", None)
        return page(request, "account/login.html", None, status, values=values, errors=errors)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        return Redirect("/?ok=bye", status_code=303, cookies=[session_cookie(request, None)])

    @get("/lang/{code:str}")
    async def switch_language(
        self,
        request: Request,
        code: FromPath[str],
        next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/",
    ) -> Redirect:
        """A preference, not an action: a plain link sets it, so it works on every page, even error pages."""
        response = Redirect(safe_next(next_path), status_code=303)
        if code in LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
        return response

    @get("/me")
    async def me(self, request: Request, page_user: PageUser) -> Template:
        user = need(page_user)
        values = {"name": user.name, "groups": user.groups}
        return page(request, "account/me.html", user, values=values, group_options=list(GROUPS.items()))

    @post("/me")
    async def update_me(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        values["groups"] = [g for g in as_list(values.get("groups")) if g in MemberGroup.__members__]
        data, errors = validate(request, MeUpdateIn, values)
        if data is None:
            options = list(GROUPS.items())
            return page(request, "account/me.html", user, 400, values=values, errors=errors, group_options=options)
        await accounts.update_me(db, user, data)
        return redirect("/me", "saved")
