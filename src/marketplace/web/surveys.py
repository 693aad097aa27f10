"""The needs loop over the API: questionnaire imports (upload, mapping, preview, start, progress, errors),
filing an imported answer the classifier was unsure of,
the needs classification list, supply gaps and invitations to list for them (curators)."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, Parameter

from ..auth import for_roles
from ..db import settings_of
from ..domain.roles import Role
from ..domain.surveys import GROUPS
from ..schemas.needs import FiledAnswerOut, FileNeedIn
from ..schemas.surveys import (
    GapOut,
    GapsOut,
    InvitationOut,
    InviteIn,
    MappingIn,
    NeedsListOut,
    NeedsRowOut,
    PreviewOut,
    PreviewRowOut,
    SurveyErrorOut,
    SurveyErrorsOut,
    SurveyImportOut,
    SurveyImportsOut,
    TrendOut,
)
from ..services import classify, gaps, market_tree, needs_list, surveys
from .bodies import UPLOADS, uploaded_file
from .common import ONE_LINE, CurrentUser, Db, IdParam, Limit, Offset

DateParam = Annotated[date | None, Parameter(description="a day in the market's zone")]
GroupName = Literal[tuple(GROUPS)]  # the market's groups and "other"
GroupParam = Annotated[GroupName | None, Parameter(description="a respondent group")]
DistrictParam = Annotated[str | None, Parameter(max_length=60, pattern=ONE_LINE)]
DomainParam = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
UPLOAD_LIMIT = surveys.MAX_FILE_BYTES + 100_000  # the file and the multipart framing around it


@dataclass
class SurveyUpload:
    """A questionnaire as the multipart field `file`."""

    file: UploadFile


def import_out(found, created: bool = False) -> SurveyImportOut:
    return SurveyImportOut.model_validate(found, from_attributes=True).model_copy(update={"created": created})


def preview_out(mapping: dict, rows) -> PreviewOut:
    items = []
    for row in rows:
        if row.answer is None:
            items.append(PreviewRowOut(row=row.row, fault=row.fault))
        else:
            a = row.answer
            fields = ("text", "group", "district", "age_band", "mode", "times", "answered_at")
            items.append(PreviewRowOut(row=row.row, **{f: getattr(a, f) for f in fields}))
    return PreviewOut(mapping=mapping, items=items)


class SurveyImportController(Controller):
    path = "/api/v1/admin/surveys"
    tags = ["admin"]
    opt = for_roles(Role.curator)

    @post("/", status_code=201, opt=UPLOADS, request_max_body_size=UPLOAD_LIMIT)
    async def upload(
        self,
        data: Annotated[SurveyUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        user: CurrentUser,
        db: Db,
    ) -> SurveyImportOut:
        """A questionnaire (CSV or XLSX, a header row first) as the multipart field `file`. The same file
        again answers the import it made (`created: false`) and adds nothing."""
        filename, content = await uploaded_file(data.file, "survey")
        found, created = await surveys.upload(db, user, filename, content)
        return import_out(found, created)

    @get("/")
    async def list_imports(self, user: CurrentUser, db: Db, limit: Limit = 50, offset: Offset = 0) -> SurveyImportsOut:
        found, total = await surveys.list_imports(db, user.market_id, limit, offset)
        return SurveyImportsOut(items=[import_out(f) for f in found], total=total)

    @get("/{import_id:int}")
    async def progress(self, import_id: IdParam, user: CurrentUser, db: Db) -> SurveyImportOut:
        """The import and how far it has come (processed of total rows)."""
        return import_out(await surveys.get_import(db, user.market_id, import_id))

    @put("/{import_id:int}/mapping")
    async def set_mapping(self, import_id: IdParam, data: JSONBody[MappingIn], user: CurrentUser, db: Db) -> PreviewOut:
        """Say which column holds what (before the import starts); answers the preview with it."""
        found = await surveys.set_mapping(db, user, import_id, data.model_dump(exclude_none=True))
        _, rows = await surveys.preview(db, user.market_id, found.id)
        return preview_out(found.mapping, rows)

    @get("/{import_id:int}/preview")
    async def preview(self, import_id: IdParam, user: CurrentUser, db: Db) -> PreviewOut:
        """The first rows as the mapping will read them (empty once the import is done)."""
        found, rows = await surveys.preview(db, user.market_id, import_id)
        return preview_out(found.mapping, rows)

    @post("/{import_id:int}/start", status_code=200)
    async def start(self, import_id: IdParam, user: CurrentUser, db: Db) -> SurveyImportOut:
        """Run the import in the background (once; starting it again changes nothing)."""
        return import_out(await surveys.start(db, user, import_id))

    @get("/{import_id:int}/errors")
    async def errors(
        self, import_id: IdParam, user: CurrentUser, db: Db, limit: Limit = 100, offset: Offset = 0
    ) -> SurveyErrorsOut:
        """The rows that could not be read, by their number in the file, with why."""
        found, errors = await surveys.errors_of(db, user.market_id, import_id)
        page = errors[offset : offset + limit]
        return SurveyErrorsOut(items=[SurveyErrorOut(**e) for e in page], total=found.bad_rows)

    @post("/answers/{answer_id:int}/category", status_code=200)
    async def file_answer(
        self, answer_id: IdParam, data: JSONBody[FileNeedIn], user: CurrentUser, db: Db
    ) -> FiledAnswerOut:
        """File (confirm or correct) a questionnaire answer's category: the needs list and the gaps count it
        there, and its text teaches the classifier as a filed need does. Filing it again where it is changes
        nothing."""
        filed = await classify.file_answer(db, user, answer_id, data.category_id)
        return FiledAnswerOut.model_validate(filed, from_attributes=True)


def _period(db, since: date | None, until: date | None, strict: bool = False):
    # a report for days that cannot be is empty, not refused (the document cannot say "since ≤ until")
    return needs_list.period_of(since, until, settings_of(db).time_zone, strict=strict)


class NeedsLoopController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    opt = for_roles(Role.curator)

    @get("/needs/list")
    async def needs(
        self,
        user: CurrentUser,
        db: Db,
        since: DateParam = None,
        until: DateParam = None,
        domain: DomainParam = None,
        group: GroupParam = None,
        district: DistrictParam = None,
    ) -> NeedsListOut:
        """The needs classification list: per category, needs from surveys, posted needs and waitlist
        places, by respondent group and district, with typical phrasings, top words and the monthly trend."""
        period = _period(db, since, until)
        found = await needs_list.needs_list(
            db,
            await market_tree.staff_markets(db, user),
            period,
            needs_list.Filters(domain, group or None, district or None),
        )
        return NeedsListOut(
            since=period.since,
            until=period.until,
            total=found.total,
            unclassified=found.unclassified,
            months=found.months,
            trend=[TrendOut(domain_id=d, counts=c) for d, c in found.trend.items()],
            items=[
                NeedsRowOut(
                    category_id=r.category_id,
                    domain_id=r.domain_id,
                    name_zh=r.name_zh,
                    name_en=r.name_en,
                    survey=r.survey,
                    posted=r.posted,
                    waitlist=r.waitlist,
                    total=r.total,
                    groups=dict(r.groups),
                    districts=dict(r.districts),
                    typical=r.typical,
                    words=r.words,
                )
                for r in found.rows
            ],
        )

    @get("/gaps")
    async def gaps(self, user: CurrentUser, db: Db, since: DateParam = None, until: DateParam = None) -> GapsOut:
        """Supply gaps per category for the period, the largest first: demand (survey answers, posted and
        expired needs, waitlist places) against supply (listings, sessions, seats offered and taken,
        providers able to serve), and what invitations have brought since."""
        period = _period(db, since, until)
        found = await gaps.gaps(db, user.market_id, period)
        fields = GapOut.model_fields
        return GapsOut(
            since=period.since,
            until=period.until,
            items=[GapOut(**{f: getattr(g, f) for f in fields}) for g in found],
        )

    @post("/gaps/invitations", status_code=201)
    async def invite(self, data: JSONBody[InviteIn], user: CurrentUser, db: Db) -> InvitationOut:
        """Invite the providers whose categories and skills fit to list for a category's gap (a notice
        each, and the webhook, with the needs summary)."""
        period = _period(db, data.since, data.until, strict=True)
        invitation = await gaps.invite(db, user, data.category_id, period)
        return InvitationOut.model_validate(invitation, from_attributes=True)
