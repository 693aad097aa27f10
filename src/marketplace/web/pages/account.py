"""Register, log in and out, the language switch and the member's own settings."""

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from ...auth import has_role, login_session_of, read_token
from ...domain.roles import MemberGroup, Role
from ...errors import retry_after
from ...models import User
from ...schemas.accounts import DeleteAccountIn, LoginIn, MeUpdateIn, RegisterIn
from ...schemas.login_sessions import PasswordChangeIn
from ...services import accounts, login_sessions, personal_data
from ..common import Db, IdParam, MarketId, client_ip, user_agent
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    as_list,
    attempt,
    form_of,
    fresh_csrf_cookie,
    need,
    page,
    redirect,
    refusal,
    safe_next,
    session_cookie,
    validate,
)
from .i18n import LANG_COOKIE, LANGUAGES, lang_of
from .labels import GROUPS


def landing(user: User) -> str:
    """Where someone starts after logging in: union staff at the desk, a provider at the console."""
    if has_role(user, Role.curator, Role.operator):
        return "/desk"
    if has_role(user, Role.provider):
        return "/provider"
    return "/"


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
        exc = None
        if data is not None:
            settings = request.app.state.settings
            limits = request.app.state.limits
            user, exc = await attempt(
                db, lambda: accounts.register(db, settings, market_id, data, limits, client_ip(request))
            )
            if exc is None:
                user.language = lang_of(request)  # the language they registered in is theirs (notices)
                token = await login_sessions.open_session(db, settings, user.id, user_agent(request))
                return _logged_in(request, "/?ok=welcome", token)
            status, errors = refusal(request, exc, "phone")
        values.pop("password", None)  # a refused password is typed again, never sent back
        status = 400 if data is None else status
        return page(request, "account/register.html", None, status, values=values, errors=errors, headers=_retry(exc))

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
        status, exc = 400, None
        if data is not None:
            settings, limits = request.app.state.settings, request.app.state.limits
            token, exc = await attempt(
                db,
                lambda: accounts.login(
                    db, settings, limits, data.phone, data.password, client_ip(request), user_agent(request)
                ),
            )
            if exc is None:
                target = safe_next(values.get("next"))
                if target == "/":  # no page asked for: each role lands where its day starts
                    user = await db.get(User, read_token(settings, token)[0])
                    target = landing(user)
                return _logged_in(request, target + ("&" if "?" in target else "?") + "ok=hello", token)
            status, errors = refusal(request, exc, "password")
        values.pop("password", None)
        return page(request, "account/login.html", None, status, values=values, errors=errors, headers=_retry(exc))

    @post("/logout")
    async def logout(self, request: Request, page_user: PageUser, db: Db) -> Redirect:
        """Ends the session on the server too: the old cookie's token is refused from now on."""
        session_id = login_session_of(request)
        if page_user is not None and session_id is not None:
            await login_sessions.revoke(db, page_user.id, session_id)
        return _logged_in(request, "/?ok=bye", None)

    @get("/me/data.json")
    async def my_data(self, page_user: PageUser, db: Db) -> Response:
        """下载我的数据: everything the market holds about me, as a file."""
        found = await personal_data.export(db, need(page_user))
        return Response(found, headers={"Content-Disposition": 'attachment; filename="my-data.json"'})

    @post("/me/delete")
    async def delete_me(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        """注销账号: anonymised at once and logged out; the orders stay in the union's figures."""
        user = need(page_user)
        values = await form_of(request)
        data, errors = validate(request, DeleteAccountIn, {"password": values.get("delete_password", "")})
        errors = {("delete_password" if k == "password" else k): v for k, v in errors.items()}
        if data is not None:
            settings = request.app.state.settings
            _, exc = await attempt(db, lambda: personal_data.delete_account(db, settings, user, data.password))
            if exc is None:
                return _logged_in(request, "/?ok=deleted", None)
            _, errors = refusal(request, exc, "delete_password")
            errors = {("delete_password" if k == "password" else k): v for k, v in errors.items()}
        values = {"name": user.name, "groups": sorted({*user.groups, *user.claimed_groups})}
        return await _me_page(request, db, user, 400, values=values, errors=errors)

    @get("/lang/{code:str}")
    async def switch_language(
        self,
        request: Request,
        code: FromPath[str],
        page_user: PageUser,
        db: Db,
        next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/",
    ) -> Redirect:
        """A preference, not an action: a plain link sets it, so it works on every page, even error pages.
        A logged-in visitor's choice is also theirs (users.language): notices are written to them in it."""
        response = Redirect(safe_next(next_path), status_code=303)
        if code in LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
            if page_user is not None and page_user.language != code:
                page_user.language = code
        return response

    @get("/me")
    async def me(self, request: Request, page_user: PageUser, db: Db) -> Template:
        user = need(page_user)
        said = sorted({*user.groups, *user.claimed_groups})
        return await _me_page(request, db, user, values={"name": user.name, "groups": said})

    @post("/me")
    async def update_me(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        values["groups"] = [g for g in as_list(values.get("groups")) if g in MemberGroup.__members__]
        data, errors = validate(request, MeUpdateIn, values)
        if data is None:
            return await _me_page(request, db, user, 400, values=values, errors=errors)
        await accounts.update_me(db, user, data)
        return redirect("/me", "saved")

    @post("/me/password")
    async def change_password(self, request: Request, page_user: PageUser, db: Db) -> Template | Redirect:
        user = need(page_user)
        values = await form_of(request)
        data, errors = validate(request, PasswordChangeIn, values)
        status, exc = 400, None
        if data is not None:
            settings, limits = request.app.state.settings, request.app.state.limits
            current = login_session_of(request)
            _, exc = await attempt(db, lambda: accounts.change_password(db, settings, limits, user, data, current))
            if exc is None:
                return redirect("/me", "password")
            status, errors = refusal(request, exc, "old_password")
        # passwords are typed again, never sent back
        values = {"name": user.name, "groups": sorted({*user.groups, *user.claimed_groups})}
        return await _me_page(request, db, user, status, values=values, errors=errors, headers=_retry(exc))

    @post("/me/sessions/{session_id:int}/end")
    async def end_session(self, request: Request, session_id: IdParam, page_user: PageUser, db: Db) -> Redirect:
        user = need(page_user)
        await login_sessions.revoke(db, user.id, session_id)
        return redirect("/me", "session_ended")

    @post("/me/sessions/end-all")
    async def end_all_sessions(self, request: Request, page_user: PageUser, db: Db) -> Redirect:
        """Log out everywhere: this browser too."""
        user = need(page_user)
        await login_sessions.revoke_all(db, user.id)
        return _logged_in(request, "/login?ok=everywhere", None)


async def _me_page(request: Request, db, user, status: int = 200, **context) -> Template:
    sessions = (await login_sessions.active(db, user.id, login_session_of(request))).items
    options = list(GROUPS.items())
    return page(request, "account/me.html", user, status, group_options=options, sessions=sessions, **context)


def _logged_in(request: Request, target: str, token: str | None) -> Redirect:
    """After logging in or out: the session cookie set (or cleared), and a fresh CSRF token to come."""
    cookies = [session_cookie(request, token), fresh_csrf_cookie(request)]
    return Redirect(target, status_code=303, cookies=cookies)


def _retry(exc: Exception | None) -> dict[str, str] | None:
    return retry_after(exc) if exc is not None else None
