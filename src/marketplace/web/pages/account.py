"""Register, log in and out, the language switch and the member's own settings."""

import time
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from ...auth import has_role, login_session_of, read_token
from ...domain.phones import mask_phone, normalize_phone
from ...domain.roles import MemberGroup, Role
from ...errors import MarketError, retry_after
from ...models import User
from ...schemas.accounts import (
    CodeLoginIn,
    CodeRequestIn,
    DeleteAccountIn,
    LoginIn,
    MeUpdateIn,
    PasswordResetIn,
    RegisterIn,
)
from ...schemas.login_sessions import PasswordChangeIn
from ...services import accounts, campaigns, codes, login_sessions, my_page, organisations, personal_data
from ..common import Db, IdParam, MarketId, client_ip, user_agent
from .common import (
    PAGE_DEPENDENCIES,
    PageUser,
    _cookie,
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
from .once import once_anonymous


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
        """Step 1: the phone, proven by a code; step 2 (once the code is sent): the code, name and password."""
        return _code_page(request, "account/register.html", page_user)

    @post("/register")
    async def register(self, request: Request, db: Db, market_id: MarketId) -> Template | Redirect:
        values = await form_of(request)
        data, errors = validate(request, RegisterIn, values)
        exc = None
        if data is not None:
            settings = request.app.state.settings
            limits = request.app.state.limits

            async def work() -> tuple[str, str]:
                user = await accounts.register(db, settings, market_id, data, limits, client_ip(request))
                user.language = lang_of(request)  # the language they registered in is theirs (notices)
                return "/?ok=welcome", await login_sessions.open_session(db, settings, user.id, user_agent(request))

            done, exc = await attempt(db, lambda: once_anonymous(request, work))
            if exc is None:
                return _logged_in(request, *done, forget_phone=True)
            status, errors = refusal(request, exc, "code")
        values.pop("password", None)  # a refused password is typed again, never sent back
        values.pop("code", None)
        status = 400 if data is None else status
        return _code_page(
            request, "account/register.html", None, status, values=values, errors=errors, exc=exc, sent=True
        )

    @post("/code/{purpose:str}")
    async def send_code(self, request: Request, purpose: FromPath[str], db: Db) -> Template | Redirect:
        """获取验证码 on the login (code way), register and reset pages: the code is sent, then the page
        comes back (post/redirect/get) with the code field and how long the code holds."""
        if purpose not in CODE_PAGES:
            raise NotFoundException()
        template, back = CODE_PAGES[purpose]
        values = await form_of(request)
        data, errors = validate(request, CodeRequestIn, {"phone": values.get("phone", ""), "purpose": purpose})
        exc = None
        if data is not None:
            settings, limits = request.app.state.settings, request.app.state.limits

            async def work() -> tuple[str, str]:
                # A double tap sends one code: the second waits for the first and goes where it went.
                seconds = await codes.request_code(db, settings, limits, data.phone, data.purpose, client_ip(request))
                return back, f"{data.phone}.{int(time.time()) + seconds}"  # the phone, and when its code expires

            done, exc = await attempt(db, lambda: once_anonymous(request, work))
            if exc is None:
                phone_cookie = _cookie(request, CODE_PHONE_COOKIE, done[1] or "", settings.code_ttl_seconds)
                return Redirect(done[0], status_code=303, cookies=[phone_cookie])
            _, errors = refusal(request, exc, "phone")
        status = 400 if data is None else exc.status_code if isinstance(exc, MarketError) else 400
        return _code_page(request, template, None, status, values=values, errors=errors, exc=exc, sent=False)

    @get("/login")
    async def login_form(
        self,
        request: Request,
        page_user: PageUser,
        next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/",
    ) -> Template:
        if request.query_params.get("way") == "code":
            return _code_page(request, "account/login_code.html", page_user)
        return page(request, "account/login.html", page_user, values={"next": safe_next(next_path)})

    @post("/login/code")
    async def login_with_code(self, request: Request, db: Db) -> Template | Redirect:
        values = await form_of(request)
        data, errors = validate(request, CodeLoginIn, values)
        status, exc = 400, None
        if data is not None:
            settings, limits = request.app.state.settings, request.app.state.limits

            async def work() -> tuple[str, str]:
                user, token = await accounts.login_with_code(
                    db, settings, limits, data.phone, data.code, user_agent(request)
                )
                return landing(user) + "?ok=hello", token

            done, exc = await attempt(db, lambda: once_anonymous(request, work))
            if exc is None:
                return _logged_in(request, *done, forget_phone=True)
            status, errors = refusal(request, exc, "code")
        values.pop("code", None)
        return _code_page(
            request, "account/login_code.html", None, status, values=values, errors=errors, exc=exc, sent=True
        )

    @get("/reset")
    async def reset_form(self, request: Request, page_user: PageUser) -> Template:
        """忘记密码: the phone proven by a code, then a new password (every other session ends)."""
        return _code_page(request, "account/reset.html", page_user)

    @post("/reset")
    async def reset(self, request: Request, db: Db) -> Template | Redirect:
        values = await form_of(request)
        data, errors = validate(request, PasswordResetIn, values)
        status, exc = 400, None
        if data is not None:
            settings, limits = request.app.state.settings, request.app.state.limits

            async def work() -> tuple[str, str]:
                user, token = await accounts.reset_password(
                    db, settings, limits, data.phone, data.code, data.new_password, user_agent(request)
                )
                return landing(user) + "?ok=password_reset", token

            done, exc = await attempt(db, lambda: once_anonymous(request, work))
            if exc is None:
                return _logged_in(request, *done, forget_phone=True)
            status, errors = refusal(request, exc, "code")
        values.pop("code", None)
        values.pop("new_password", None)
        return _code_page(request, "account/reset.html", None, status, values=values, errors=errors, exc=exc, sent=True)

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
    needs, needs_total = await my_page.needs(db, user)
    follows = await my_page.follows(db, user)
    return page(
        request,
        "account/me.html",
        user,
        status,
        group_options=options,
        sessions=sessions,
        needs=needs,
        needs_total=needs_total,
        follows=follows,
        offered=(await campaigns.mine(db, user, limit=10)).items,  # 免申即享: open ones first
        org=await organisations.of_contact(db, user),  # the contact of a grassroots union books for it (团体预约)
        **context,
    )


def _logged_in(request: Request, target: str, token: str | None, forget_phone: bool = False) -> Redirect:
    """After logging in or out: the session cookie set (or cleared), and a fresh CSRF token to come. With
    `forget_phone` (a code login) the code's phone cookie goes, and a missing token (a repeat whose first
    answer could not be read back) leaves the session cookie as the first answer set it."""
    cookies = [session_cookie(request, token), fresh_csrf_cookie(request)]
    if forget_phone:
        cookies = cookies if token else [fresh_csrf_cookie(request)]
        cookies.append(_cookie(request, CODE_PHONE_COOKIE, "", 0))
    return Redirect(target, status_code=303, cookies=cookies)


# The pages that ask for a code: purpose -> (template, where the page comes back once the code is sent)
CODE_PAGES = {
    "login": ("account/login_code.html", "/login?way=code"),
    "register": ("account/register.html", "/register"),
    "reset": ("account/reset.html", "/reset"),
}
# The phone a code was just sent to, for the page that asks for the code (HttpOnly, gone when the code is).
CODE_PHONE_COOKIE = "mkt_code_phone"


def _code_page(
    request: Request, template: str, user, status: int = 200, values=None, errors=None, exc=None, sent=None
) -> Template:
    """A page of the code ways: step 1 asks for the phone; once a code was sent to it (the cookie holds the
    phone) step 2 asks for the code and the rest."""
    settings = request.app.state.settings
    said, _, expires = (request.cookies.get(CODE_PHONE_COOKIE) or "").partition(".")
    phone = normalize_phone(said)
    left = int(expires) - int(time.time()) if expires.isascii() and expires.isdigit() and len(expires) < 12 else 0
    values = dict(values or {})
    if phone and not values.get("phone"):
        values["phone"] = phone
    if sent is None:
        sent = bool(phone) and (values.get("phone") == phone)
    minutes = max(1, round(settings.code_ttl_seconds / 60))
    context = {
        "values": values,
        "errors": errors or {},
        "sent": sent,
        "masked": mask_phone(normalize_phone(str(values.get("phone", ""))) or phone or ""),
        "minutes": minutes,
        "left": max(0, min(left, settings.code_ttl_seconds)),
    }
    return page(request, template, user, status, headers=_retry(exc), **context)


def _retry(exc: Exception | None) -> dict[str, str] | None:
    return retry_after(exc) if exc is not None else None
