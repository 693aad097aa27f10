"""The satisfaction survey after sign-off (member) and the follow-up cases (operators, curators)."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from ..auth import for_roles
from ..domain.roles import Role
from ..domain.satisfaction import CaseState
from ..schemas.common import Page
from ..schemas.satisfaction import CaseNoteIn, CaseOut, CaseResolveIn, SurveyIn, SurveyOut
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

    @post("/{case_id:int}/contact", status_code=200, opt=for_roles(Role.operator, Role.curator))
    async def contact(self, case_id: IdParam, data: JSONBody[CaseNoteIn], user: CurrentUser, db: Db) -> CaseOut:
        return await satisfaction.move_case(db, user, case_id, "contact", data.note)

    @post("/{case_id:int}/resolve", status_code=200, opt=for_roles(Role.operator, Role.curator))
    async def resolve(self, case_id: IdParam, data: JSONBody[CaseResolveIn], user: CurrentUser, db: Db) -> CaseOut:
        return await satisfaction.move_case(db, user, case_id, "resolve", data.note, data.outcome)
