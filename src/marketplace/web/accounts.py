from typing import Annotated

from litestar import Controller, HttpMethod, Request, Response, delete, get, post, put, route
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import for_roles, login_session_of
from ..domain.roles import Role
from ..models import User
from ..schemas.accounts import (
    CodeLoginIn,
    CodeRequestIn,
    CodeSentOut,
    DeleteAccountIn,
    GroupsIn,
    LoginIn,
    MeOut,
    MeUpdateIn,
    OrderMarketsIn,
    PasswordResetIn,
    PhoneOut,
    ProviderOut,
    ProviderProfileIn,
    RegisterIn,
    RevealIn,
    RolesIn,
    TokenOut,
    UserAdminOut,
)
from ..schemas.common import Page
from ..schemas.login_sessions import LoginSessionOut, PasswordChangeIn
from ..services import accounts, codes, login_sessions, market_tree, personal_data
from ..settings import Settings
from .common import ONE_LINE, LimitsDep, client_ip, user_agent

Db = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
IdParam = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
STAFF = (Role.curator, Role.operator)


class AccountController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/register")
    async def register(
        self,
        request: Request,
        data: JSONBody[RegisterIn],
        db: Db,
        settings: NamedDependency[Settings],
        market_id: NamedDependency[int],
        limits: LimitsDep,
    ) -> MeOut:
        user = await accounts.register(db, settings, market_id, data, limits, client_ip(request))
        return accounts.me_out(user)

    @post("/auth/login", status_code=200, raises=[NotAuthorizedException])  # a wrong phone or password
    async def login(
        self, request: Request, data: JSONBody[LoginIn], db: Db, settings: NamedDependency[Settings], limits: LimitsDep
    ) -> TokenOut:
        token = await accounts.login(
            db, settings, limits, data.phone, data.password, client_ip(request), user_agent(request)
        )
        return TokenOut(access_token=token)

    @post("/auth/code", status_code=202)
    async def request_code(
        self,
        request: Request,
        data: JSONBody[CodeRequestIn],
        db: Db,
        settings: NamedDependency[Settings],
        limits: LimitsDep,
    ) -> CodeSentOut:
        """Send a 6-digit one-time code (验证码) to the phone for logging in, registering or resetting the
        password. The answer is the same whether or not the phone has an account; 429 with Retry-After when
        the phone or this address asked too often."""
        seconds = await codes.request_code(db, settings, limits, data.phone, data.purpose, client_ip(request))
        return CodeSentOut(expires_in=seconds)

    @post("/auth/login/code", status_code=200, raises=[PermissionDeniedException])  # a deactivated account
    async def login_with_code(
        self,
        request: Request,
        data: JSONBody[CodeLoginIn],
        db: Db,
        settings: NamedDependency[Settings],
        limits: LimitsDep,
    ) -> TokenOut:
        """Log in with a code sent for purpose "login" (single use, short-lived, a few tries)."""
        _, token = await accounts.login_with_code(db, settings, limits, data.phone, data.code, user_agent(request))
        return TokenOut(access_token=token)

    @post("/auth/password/reset", status_code=200, raises=[PermissionDeniedException])
    async def reset_password(
        self,
        request: Request,
        data: JSONBody[PasswordResetIn],
        db: Db,
        settings: NamedDependency[Settings],
        limits: LimitsDep,
    ) -> TokenOut:
        """忘记密码: a new password with a code sent for purpose "reset"; every session of the account ends
        and the token of a new one is returned."""
        _, token = await accounts.reset_password(
            db, settings, limits, data.phone, data.code, data.new_password, user_agent(request)
        )
        return TokenOut(access_token=token)

    @post("/auth/logout", status_code=204)
    async def logout(self, request: Request, user: CurrentUser, db: Db) -> None:
        """End this token's session: the token is refused from now on."""
        await login_sessions.revoke(db, user.id, login_session_of(request))

    @get("/me/sessions")
    async def sessions(
        self,
        request: Request,
        user: CurrentUser,
        db: Db,
        limit: int = Parameter(default=50, ge=1, le=100),
        offset: int = Parameter(default=0, ge=0, le=1_000_000),
    ) -> Page[LoginSessionOut]:
        """Where this account is logged in, the most recently seen first; `current` marks this token's."""
        return await login_sessions.active(db, user.id, login_session_of(request), limit, offset)

    @delete("/me/sessions/{session_id:int}", status_code=204)
    async def end_session(self, session_id: IdParam, user: CurrentUser, db: Db) -> None:
        await login_sessions.revoke(db, user.id, session_id)

    @post("/me/sessions/logout-all", status_code=204)
    async def end_all_sessions(self, user: CurrentUser, db: Db) -> None:
        """Log out everywhere, this session included."""
        await login_sessions.revoke_all(db, user.id)

    @post("/me/password", status_code=204)
    async def change_password(
        self,
        request: Request,
        data: JSONBody[PasswordChangeIn],
        user: CurrentUser,
        db: Db,
        settings: NamedDependency[Settings],
        limits: LimitsDep,
    ) -> None:
        """A new password; every other session of the account ends (this one goes on)."""
        await accounts.change_password(db, settings, limits, user, data, login_session_of(request))

    @get("/me")
    async def me(self, user: CurrentUser) -> MeOut:
        return accounts.me_out(user)

    @put("/me")
    async def update_me(self, data: JSONBody[MeUpdateIn], user: CurrentUser, db: Db) -> MeOut:
        return accounts.me_out(await accounts.update_me(db, user, data))

    @get("/me/data")
    async def my_data(self, user: CurrentUser, db: Db) -> Response[dict]:
        """Everything the market holds about me (PIPL), as a JSON file."""
        return Response(
            await personal_data.export(db, user),
            headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
        )

    @post("/me/delete", status_code=204)
    async def delete_me(
        self, data: JSONBody[DeleteAccountIn], user: CurrentUser, db: Db, settings: NamedDependency[Settings]
    ) -> None:
        """Delete my account: my name and phone are gone; my orders stay, anonymised, in the union's figures."""
        await personal_data.delete_account(db, settings, user, data.password)

    # PUT (the v1 contract) and PATCH mean the same: only the fields sent are changed.
    @route("/provider/profile", http_method=[HttpMethod.PUT, HttpMethod.PATCH], opt=for_roles(Role.provider))
    async def update_profile(self, data: JSONBody[ProviderProfileIn], user: CurrentUser, db: Db) -> ProviderOut:
        return await accounts.update_provider_profile(db, user, data)

    @get("/providers/{provider_id:int}")
    async def provider(self, provider_id: IdParam, db: Db) -> ProviderOut:
        return await accounts.provider_public(db, provider_id)


class UserAdminController(Controller):
    path = "/api/v1/admin/users"
    tags = ["admin"]

    @get("/", opt=for_roles(Role.curator))
    async def list_users(
        self,
        user: CurrentUser,
        db: Db,
        q: str | None = Parameter(default=None, max_length=60, pattern=ONE_LINE),
        role: FromQuery[Role | None] = None,
        limit: int = Parameter(default=50, ge=1, le=200),
        offset: int = Parameter(default=0, ge=0),
    ) -> Page[UserAdminOut]:
        return await accounts.list_users(db, await market_tree.staff_markets(db, user), q, role, limit, offset)

    @put("/{user_id:int}/roles", opt=for_roles(Role.curator))
    async def set_roles(
        self, request: Request, user_id: IdParam, data: JSONBody[RolesIn], user: CurrentUser, db: Db
    ) -> MeOut:
        return accounts.me_out(await accounts.set_roles(db, user, user_id, data.roles, login_session_of(request)))

    @put("/{user_id:int}/groups", opt=for_roles(Role.curator))
    async def confirm_groups(
        self, user_id: IdParam, data: JSONBody[GroupsIn], user: CurrentUser, db: Db
    ) -> UserAdminOut:
        """The groups a member belongs to, as the union confirms them (their claims are settled)."""
        return accounts.admin_out(await accounts.confirm_groups(db, user, user_id, data.groups))

    @put("/{user_id:int}/order-markets", opt=for_roles(Role.curator))
    async def allow_markets(
        self, user_id: IdParam, data: JSONBody[OrderMarketsIn], user: CurrentUser, db: Db
    ) -> UserAdminOut:
        """Let a member of this market also order in other markets (the whole list; empty: their own only)."""
        return accounts.admin_out(await accounts.set_order_markets(db, user, user_id, data.market_ids))

    @post("/{user_id:int}/phone", status_code=200, opt=for_roles(*STAFF))
    async def reveal_phone(self, user_id: IdParam, data: JSONBody[RevealIn], user: CurrentUser, db: Db) -> PhoneOut:
        """The whole number (masked everywhere else), with a reason kept in the audit trail."""
        return PhoneOut(phone=await personal_data.reveal_phone(db, user, user_id, data.reason))

    @post("/{user_id:int}/deactivate", status_code=200, opt=for_roles(*STAFF))
    async def deactivate(self, user_id: IdParam, user: CurrentUser, db: Db) -> UserAdminOut:
        """The account's sessions end and it can no longer log in."""
        return accounts.admin_out(await accounts.set_active(db, user, user_id, False))

    @post("/{user_id:int}/activate", status_code=200, opt=for_roles(*STAFF))
    async def activate(self, user_id: IdParam, user: CurrentUser, db: Db) -> UserAdminOut:
        return accounts.admin_out(await accounts.set_active(db, user, user_id, True))
