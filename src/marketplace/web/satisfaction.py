"""The satisfaction survey after sign-off (member) and the follow-up cases (operators, curators)."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from ..auth import for_roles
from ..domain.roles import Role
from ..domain.satisfaction import CaseState
from ..errors import NotFound
from ..schemas.common import Page
from ..schemas.satisfaction import CaseNoteIn, CaseOut, SurveyIn, SurveyOut
from ..services import satisfaction
from .common import CurrentUser, Db, IdParam, Limit, Offset


class SurveyController(Controller):
    path = "/api/v1/orders/{order_id:int}/survey"
    tags = ["orders"]

    @post("/", opt=for_roles(Role.member))
    async def answer(self, order_id: IdParam, data: JSONBody[SurveyIn], user: CurrentUser, db: Db) -> SurveyOut:
        return await satisfaction.answer(db, user, order_id, data)


class CaseController(Controller):
    path = "/api/v1/admin/cases"
    tags = ["admin"]

    @get("/", opt=for_roles(Role.operator, Role.curator))
    async def list_cases(
        self,
        user: CurrentUser,
        db: Db,
        case_state: Annotated[CaseState | None, QueryParameter(name="state")] = None,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> Page[CaseOut]:
        return await satisfaction.cases(db, user.market_id, case_state, limit, offset)

    @post("/{case_id:int}/{action:str}", status_code=200, opt=for_roles(Role.operator, Role.curator))
    async def move(
        self, case_id: IdParam, action: FromPath[str], data: JSONBody[CaseNoteIn], user: CurrentUser, db: Db
    ) -> CaseOut:
        if action not in ("contact", "resolve"):
            raise NotFound("No such action.")
        return await satisfaction.move_case(db, user, case_id, action, data.note)
