"""Fair access to scarce seats (issue #15): a session's draw (public), its setup and reserve, quotas."""

from datetime import datetime

from litestar import Controller, delete, get, post, put
from litestar.params import JSONBody
from pydantic import BaseModel

from ..auth import for_roles
from ..domain.roles import Role
from ..schemas.fairseats import DrawIn, DrawOut, QuotaIn, QuotaOut, ReserveIn
from ..schemas.orders import OrderOut
from ..services import lottery, quotas
from .common import CurrentUser, Db, IdParam
from .orders import _answer


class ReserveOut(BaseModel):
    session_id: int
    percent: int
    groups: list[str]
    release_at: datetime | None
    weight: int


class DrawController(Controller):
    path = "/api/v1"
    tags = ["draws"]

    @get("/sessions/{session_id:int}/draw")
    async def published(self, session_id: IdParam, db: Db) -> DrawOut:
        """What a session's draw has published so far: the commitment from the opening, the entries and their
        digest from the closing, the seed and the result from the draw. Anyone may check it."""
        return await lottery.public(db, session_id)

    @post("/orders/{order_id:int}/withdraw", status_code=200)
    async def withdraw(self, order_id: IdParam, user: CurrentUser, db: Db) -> OrderOut:
        """Withdraw a registration from a draw (退出抽签)."""
        return await _answer(db, user, await lottery.withdraw(db, user, order_id))

    @put("/admin/sessions/{session_id:int}/draw", opt=for_roles(Role.curator))
    async def set_draw(self, session_id: IdParam, data: JSONBody[DrawIn], user: CurrentUser, db: Db) -> DrawOut:
        await lottery.configure(db, user, session_id, data)
        await db.flush()
        return await lottery.public(db, session_id)

    @put("/admin/sessions/{session_id:int}/reserve", opt=for_roles(Role.curator))
    async def set_reserve(
        self, session_id: IdParam, data: JSONBody[ReserveIn], user: CurrentUser, db: Db
    ) -> ReserveOut:
        session = await lottery.set_reserve(db, user, session_id, data)
        return ReserveOut(
            session_id=session.id,
            percent=session.reserve_percent,
            groups=list(session.reserve_groups),
            release_at=session.reserve_release_at,
            weight=session.priority_weight,
        )

    @get("/admin/quotas", opt=for_roles(Role.curator, Role.operator))
    async def list_quotas(self, user: CurrentUser, db: Db) -> list[QuotaOut]:
        return (await quotas.list_quotas(db, user.market_id)).items

    @post("/admin/quotas", opt=for_roles(Role.curator))
    async def create_quota(self, data: JSONBody[QuotaIn], user: CurrentUser, db: Db) -> QuotaOut:
        return await quotas.create(db, user, data)

    @delete("/admin/quotas/{quota_id:int}", status_code=204, opt=for_roles(Role.curator))
    async def delete_quota(self, quota_id: IdParam, user: CurrentUser, db: Db) -> None:
        await quotas.delete(db, user, quota_id)
