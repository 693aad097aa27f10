"""The classifier of free-text needs: classify texts (curators, operators), file a need (curators)."""

from litestar import Controller, post
from litestar.params import JSONBody

from ..auth import for_roles
from ..domain.roles import Role
from ..errors import InvalidInput
from ..schemas.needs import ClassifiedOut, ClassifyIn, ClassifyOut, FiledOut, FileNeedIn
from ..services import classify
from .common import CurrentUser, Db, IdParam


class NeedAdminController(Controller):
    path = "/api/v1/admin/needs"
    tags = ["admin"]

    @post("/classify", status_code=200, opt=for_roles(Role.curator, Role.operator))
    async def classify_texts(self, data: JSONBody[ClassifyIn], user: CurrentUser, db: Db) -> ClassifyOut:
        found = await classify.classify_texts(db, user.market_id, data.texts)
        if any(s is None for s in found):
            raise InvalidInput("This market has no categories to classify into yet.", field="texts")
        return ClassifyOut(
            items=[ClassifiedOut(**{k: getattr(s, k) for k in ClassifiedOut.model_fields}) for s in found]
        )

    @post("/{order_id:int}/category", status_code=200, opt=for_roles(Role.curator))
    async def file(self, order_id: IdParam, data: JSONBody[FileNeedIn], user: CurrentUser, db: Db) -> FiledOut:
        filed = await classify.file_need(db, user, order_id, data.category_id)
        return FiledOut.model_validate(filed, from_attributes=True)
