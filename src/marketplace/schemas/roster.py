"""The real-name roster over the API: imports, entries, members' verification and the curators' decisions."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ..domain.roles import MemberGroup
from .common import Flag, Out, Text
from .imports import TableImportOut

Column = Annotated[int, Field(ge=0, le=999)]


class RosterMappingIn(BaseModel):
    """Which column (0 = the first) holds what; name and phone are required, the rest may be left out."""

    name: Column
    phone: Column
    union_card: Column | None = None
    workplace: Column | None = None
    groups: Column | None = None


class RosterImportOut(TableImportOut):
    """imported_rows: new entries; duplicate_rows: entries already as the file says."""

    updated_rows: int  # entries the file changed
    verified_users: int  # accounts verified (or brought up to date) by the import
    name_mismatches: int  # accounts with a roster phone and another name: not verified


class RosterImportsOut(BaseModel):
    items: list[RosterImportOut]
    total: int


class RosterRowOut(BaseModel):
    """A previewed row: the entry as it will be read, or why it cannot be."""

    row: int
    name: str | None = None
    phone: str | None = None
    union_card: str | None = None
    workplace: str | None = None
    groups: list[str] | None = None
    fault: str | None = None


class RosterPreviewOut(BaseModel):
    mapping: dict[str, int]
    items: list[RosterRowOut]


class RosterErrorOut(BaseModel):
    row: int  # the row's number in the file (the header row is 1)
    reason: str  # the sentence, its values filled in


class RosterErrorsOut(BaseModel):
    items: list[RosterErrorOut]
    total: int


class RosterEntryOut(Out):
    id: int
    name: str
    phone: str  # whole: the roster is the union's own list, shown to its curators only
    union_card: str | None
    workplace: str
    groups: list[str]
    user_id: int | None  # the account with this phone, once seen
    name_differs: bool  # that account carries another name: not verified by the roster
    import_id: int | None
    updated_at: datetime


class RosterEntriesOut(BaseModel):
    items: list[RosterEntryOut]
    total: int


class VerificationIn(BaseModel):
    """A member asks to be verified (and for their groups)."""

    union_card: Text(30) = ""
    workplace: Text(100) = ""
    groups: list[MemberGroup] = Field(default_factory=list, max_length=10)
    note: Text(500, multiline=True) = ""


class VerificationRequestOut(Out):
    id: int
    union_card: str
    workplace: str
    groups: list[str]
    note: str
    state: str  # pending | approved | declined | closed
    reason: str  # why it was declined
    created_at: datetime
    decided_at: datetime | None


class VerificationOut(BaseModel):
    """A member's verification: whether and how they are verified, and their latest request."""

    verified: bool
    verified_at: datetime | None
    source: str | None  # roster | curator
    groups: list[str]
    union_card: str | None
    request: VerificationRequestOut | None


class VerificationAdminOut(VerificationRequestOut):
    user_id: int
    member_name: str
    member_phone: str  # masked
    roster_name: str | None  # the roster's name for the member's phone, if on it
    roster_groups: list[str] | None


class VerificationsOut(BaseModel):
    items: list[VerificationAdminOut]
    total: int


class ApproveIn(BaseModel):
    """The groups granted (the whole list); left out: the groups asked."""

    groups: list[MemberGroup] | None = Field(default=None, max_length=10)


class DeclineIn(BaseModel):
    reason: Text(500, min_length=1, multiline=True)


class MarketSettingsIn(BaseModel):
    verified_only: Flag  # only verified members may order in the market


class MarketSettingsOut(BaseModel):
    verified_only: bool
