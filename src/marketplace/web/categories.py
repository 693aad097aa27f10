from typing import Annotated

from litestar import Controller, MediaType, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import for_roles
from ..domain.roles import Role
from ..models import User
from ..schemas.catalog_categories import CategoryIn, CategoryOut, CategoryPatch, CategoryTree
from ..services import categories
from . import public

Db = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
IdParam = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


class CategoryController(Controller):
    path = "/api/v1/categories"
    tags = ["catalogue"]

    @get("/")
    async def list_categories(self, state: State, db: Db, market_id: NamedDependency[int]) -> Response[CategoryTree]:
        return Response(await public.category_tree_json(state, db, market_id), media_type=MediaType.JSON)

    @post("/{category_id:int}/follow", status_code=200)
    async def follow(self, category_id: IdParam, user: CurrentUser, db: Db) -> dict:
        await categories.follow(db, user, category_id)
        return {"category_id": category_id, "following": True}

    @delete("/{category_id:int}/follow", status_code=200)
    async def unfollow(self, category_id: IdParam, user: CurrentUser, db: Db) -> dict:
        await categories.unfollow(db, user, category_id)
        return {"category_id": category_id, "following": False}


class CategoryAdminController(Controller):
    path = "/api/v1/admin/categories"
    tags = ["admin"]

    @get("/", opt=for_roles(Role.curator))
    async def list_all(self, user: CurrentUser, db: Db) -> CategoryTree:
        return await categories.tree(db, user.market_id, include_archived=True)

    @post("/", opt=for_roles(Role.curator))
    async def create(self, data: JSONBody[CategoryIn], user: CurrentUser, db: Db) -> CategoryOut:
        return await categories.create(db, user, data)

    @patch("/{category_id:int}", opt=for_roles(Role.curator))
    async def update(
        self, category_id: IdParam, data: JSONBody[CategoryPatch], user: CurrentUser, db: Db
    ) -> CategoryOut:
        return await categories.update(db, user, category_id, data)
