from typing import Annotated

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import require_role
from ..domain.roles import Role
from ..models import User
from ..schemas.accounts import (
    LoginIn,
    MeOut,
    MeUpdateIn,
    ProviderOut,
    ProviderProfileIn,
    RegisterIn,
    RolesIn,
    TokenOut,
    UserAdminOut,
)
from ..schemas.common import Page
from ..services import accounts
from ..settings import Settings
from .common import ONE_LINE

Db = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
IdParam = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


class AccountController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/register")
    async def register(
        self, data: JSONBody[RegisterIn], db: Db, settings: NamedDependency[Settings], market_id: NamedDependency[int]
    ) -> MeOut:
        user = await accounts.register(db, settings, market_id, data)
        return accounts.me_out(user)

    @post("/auth/login", status_code=200, raises=[NotAuthorizedException])  # a wrong phone or password
    async def login(self, data: JSONBody[LoginIn], db: Db, settings: NamedDependency[Settings]) -> TokenOut:
        return TokenOut(access_token=await accounts.login(db, settings, data.phone, data.password))

    @get("/me")
    async def me(self, user: CurrentUser) -> MeOut:
        return accounts.me_out(user)

    @put("/me")
    async def update_me(self, data: JSONBody[MeUpdateIn], user: CurrentUser, db: Db) -> MeOut:
        return accounts.me_out(await accounts.update_me(db, user, data))

    @put("/provider/profile")
    async def update_profile(self, data: JSONBody[ProviderProfileIn], user: CurrentUser, db: Db) -> ProviderOut:
        require_role(user, Role.provider)
        return await accounts.update_provider_profile(db, user, data)

    @get("/providers/{provider_id:int}")
    async def provider(self, provider_id: IdParam, db: Db) -> ProviderOut:
        return await accounts.provider_public(db, provider_id)


class UserAdminController(Controller):
    path = "/api/v1/admin/users"
    tags = ["admin"]

    @get("/")
    async def list_users(
        self,
        user: CurrentUser,
        db: Db,
        q: str | None = Parameter(default=None, max_length=60, pattern=ONE_LINE),
        role: FromQuery[Role | None] = None,
        limit: int = Parameter(default=50, ge=1, le=200),
        offset: int = Parameter(default=0, ge=0),
    ) -> Page[UserAdminOut]:
        require_role(user, Role.curator)
        return await accounts.list_users(db, user.market_id, q, role, limit, offset)

    @put("/{user_id:int}/roles")
    async def set_roles(self, user_id: IdParam, data: JSONBody[RolesIn], user: CurrentUser, db: Db) -> MeOut:
        require_role(user, Role.curator)
        return accounts.me_out(await accounts.set_roles(db, user, user_id, data.roles))
