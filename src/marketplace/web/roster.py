"""The real-name roster over the API: curators import it (upload, mapping, preview, start, progress,
errors), search it, decide members' verification requests and set "verified members only"; a member asks
for verification and sees where it stands."""

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, QueryParameter

from ..auth import for_roles
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..errors import sentence
from ..schemas.roster import (
    ApproveIn,
    DeclineIn,
    MarketSettingsIn,
    MarketSettingsOut,
    RosterEntriesOut,
    RosterEntryOut,
    RosterErrorOut,
    RosterErrorsOut,
    RosterImportOut,
    RosterImportsOut,
    RosterMappingIn,
    RosterPreviewOut,
    RosterRowOut,
    VerificationAdminOut,
    VerificationIn,
    VerificationOut,
    VerificationRequestOut,
    VerificationsOut,
)
from ..services import roster
from .bodies import UPLOADS, uploaded_file
from .common import CurrentUser, Db, IdParam, Limit, Offset, SearchText

UPLOAD_LIMIT = roster.MAX_FILE_BYTES + 100_000  # the file and the multipart framing around it
RequestState = Annotated[
    Literal[roster.REQUEST_STATES] | None, QueryParameter(name="state", description="a request's state")
]


@dataclass
class RosterUpload:
    """A roster as the multipart field `file`."""

    file: UploadFile


def import_out(found, created: bool = False) -> RosterImportOut:
    return RosterImportOut.model_validate(found, from_attributes=True).model_copy(update={"created": created})


def preview_out(mapping: dict, rows) -> RosterPreviewOut:
    items = []
    for r in rows:
        if isinstance(r, roster.rules.Fault):
            items.append(RosterRowOut(row=r.row, fault=sentence(r.reason, r.params)))
        else:
            fields = ("name", "phone", "union_card", "workplace", "groups")
            items.append(RosterRowOut(row=r.row, **{f: getattr(r, f) for f in fields}))
    return RosterPreviewOut(mapping=mapping, items=items)


def request_admin_out(row: roster.RequestRow) -> VerificationAdminOut:
    base = VerificationRequestOut.model_validate(row.request, from_attributes=True)
    return VerificationAdminOut(
        **base.model_dump(),
        user_id=row.member.id,
        member_name=row.member.name,
        member_phone=mask_phone(row.member.phone),
        roster_name=row.entry.name if row.entry else None,
        roster_groups=list(row.entry.groups) if row.entry else None,
    )


def standing_out(found: roster.Standing) -> VerificationOut:
    user, request = found.user, found.request
    return VerificationOut(
        verified=user.verified_at is not None,
        verified_at=user.verified_at,
        source=user.verified_source,
        groups=list(user.groups),
        union_card=user.union_card,
        request=VerificationRequestOut.model_validate(request, from_attributes=True) if request else None,
    )


class RosterController(Controller):
    path = "/api/v1/admin/roster"
    tags = ["admin"]
    opt = for_roles(Role.curator)

    @post("/imports", status_code=201, opt=UPLOADS, request_max_body_size=UPLOAD_LIMIT)
    async def upload(
        self,
        data: Annotated[RosterUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        user: CurrentUser,
        db: Db,
    ) -> RosterImportOut:
        """The member roster (CSV or XLSX, a header row first: name, phone, union card number, workplace
        union, groups) as the multipart field `file`. The same file again answers the import it made
        (`created: false`) and adds nothing."""
        filename, content = await uploaded_file(data.file, "roster")
        found, created = await roster.upload(db, user, filename, content)
        return import_out(found, created)

    @get("/imports")
    async def list_imports(self, user: CurrentUser, db: Db, limit: Limit = 20, offset: Offset = 0) -> RosterImportsOut:
        found, total = await roster.list_imports(db, user.market_id, limit, offset)
        return RosterImportsOut(items=[import_out(f) for f in found], total=total)

    @get("/imports/{import_id:int}")
    async def progress(self, import_id: IdParam, user: CurrentUser, db: Db) -> RosterImportOut:
        """The import and how far it has come (processed of total rows, entries new, changed, unchanged,
        accounts verified)."""
        return import_out(await roster.get_import(db, user.market_id, import_id))

    @put("/imports/{import_id:int}/mapping")
    async def set_mapping(
        self, import_id: IdParam, data: JSONBody[RosterMappingIn], user: CurrentUser, db: Db
    ) -> RosterPreviewOut:
        """Say which column holds what (before the import starts); answers the preview with it."""
        found = await roster.set_mapping(db, user, import_id, data.model_dump(exclude_none=True))
        _, rows = await roster.preview(db, user.market_id, found.id)
        return preview_out(found.mapping, rows)

    @get("/imports/{import_id:int}/preview")
    async def preview(self, import_id: IdParam, user: CurrentUser, db: Db) -> RosterPreviewOut:
        """The first rows as the mapping will read them (empty once the import is done)."""
        found, rows = await roster.preview(db, user.market_id, import_id)
        return preview_out(found.mapping, rows)

    @post("/imports/{import_id:int}/start", status_code=200)
    async def start(self, import_id: IdParam, user: CurrentUser, db: Db) -> RosterImportOut:
        """Run the import in the background (once; starting it again changes nothing)."""
        return import_out(await roster.start(db, user, import_id))

    @get("/imports/{import_id:int}/errors")
    async def errors(
        self, import_id: IdParam, user: CurrentUser, db: Db, limit: Limit = 100, offset: Offset = 0
    ) -> RosterErrorsOut:
        """The rows that could not be read, by their number in the file, with why."""
        found = await roster.get_import(db, user.market_id, import_id)
        page = found.errors[offset : offset + limit]
        items = [RosterErrorOut(row=e["row"], reason=sentence(e["reason"], e.get("params") or {})) for e in page]
        return RosterErrorsOut(items=items, total=found.bad_rows)

    @get("/")
    async def entries(
        self, user: CurrentUser, db: Db, q: SearchText = None, limit: Limit = 50, offset: Offset = 0
    ) -> RosterEntriesOut:
        """The market's roster, by name; `q` finds a name (any part), a whole phone number or a whole union
        card number."""
        found, total = await roster.entries(db, user.market_id, q, limit, offset)
        return RosterEntriesOut(items=[RosterEntryOut.model_validate(e) for e in found], total=total)

    @get("/verifications")
    async def verifications(
        self,
        user: CurrentUser,
        db: Db,
        request_state: RequestState = None,
        q: SearchText = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> VerificationsOut:
        """Members' verification requests, newest first, with the roster's row for each member's phone."""
        found, total = await roster.requests(db, user.market_id, request_state, q, limit, offset)
        return VerificationsOut(items=[request_admin_out(r) for r in found], total=total)

    @post("/verifications/{request_id:int}/approve", status_code=200)
    async def approve(
        self, request_id: IdParam, user: CurrentUser, db: Db, data: JSONBody[ApproveIn | None] = None
    ) -> VerificationRequestOut:
        """Verify the member, with the groups granted (the ones asked, unless said); the member is told."""
        groups = [g.value for g in data.groups] if data is not None and data.groups is not None else None
        return VerificationRequestOut.model_validate(await roster.approve(db, user, request_id, groups))

    @post("/verifications/{request_id:int}/decline", status_code=200)
    async def decline(
        self, request_id: IdParam, data: JSONBody[DeclineIn], user: CurrentUser, db: Db
    ) -> VerificationRequestOut:
        """Turn the request down with a reason; the member is told it in their language's words."""
        return VerificationRequestOut.model_validate(await roster.decline(db, user, request_id, data.reason))

    @get("/settings")
    async def settings(self, user: CurrentUser, db: Db) -> MarketSettingsOut:
        market = await roster.market_of(db, user.market_id)
        return MarketSettingsOut(verified_only=market.verified_only)

    @put("/settings")
    async def set_settings(self, data: JSONBody[MarketSettingsIn], user: CurrentUser, db: Db) -> MarketSettingsOut:
        """Whether only verified members may order in the market (each listing may ask it too)."""
        market = await roster.set_verified_only(db, user, data.verified_only)
        return MarketSettingsOut(verified_only=market.verified_only)


class VerificationController(Controller):
    path = "/api/v1/me/verification"
    tags = ["accounts"]

    @get("/")
    async def mine(self, user: CurrentUser, db: Db) -> VerificationOut:
        """Whether the union verified me (real name), how, my groups, and my latest request."""
        return standing_out(await roster.standing(db, user))

    @post("/", status_code=201)
    async def ask(self, data: JSONBody[VerificationIn], user: CurrentUser, db: Db) -> VerificationOut:
        """Ask the union to verify me (and the groups I belong to); asking again while a request is open
        updates it. 409 when already verified with every group asked."""
        groups = [g.value for g in data.groups]
        await roster.ask(db, user, data.union_card, data.workplace, groups, data.note)
        return standing_out(await roster.standing(db, user))
