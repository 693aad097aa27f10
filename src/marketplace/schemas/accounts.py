from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from ..domain.phones import PHONE_MAX_LENGTH, PHONE_PATTERN, normalize_phone
from ..domain.roles import MemberGroup, Role
from ..services.codes import CodePurpose
from .common import DbId, Flag, Out, ShortText, Tag, Text, Whole

Name = Text(60, min_length=1)
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]


class _PhoneIn(BaseModel):
    phone: str = Field(
        max_length=PHONE_MAX_LENGTH,
        json_schema_extra={"pattern": PHONE_PATTERN},
        description="a mainland China mobile number, e.g. 13812345678",
    )

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str) -> str:
        phone = normalize_phone(value)
        if phone is None:
            raise ValueError("enter an 11-digit mainland China mobile number, e.g. 13812345678")
        return phone


Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


class AccountIn(_PhoneIn):
    """An account the operator makes from the command line (no code: they are trusted with the number)."""

    name: Name
    password: Password = Field(description="at least 8 characters")


class RegisterIn(AccountIn):
    """A new member: the phone proven first by a code asked for with purpose "register"."""

    code: Code = Field(description="the 6-digit code sent to the phone (POST /api/v1/auth/code, purpose register)")


class CodeRequestIn(_PhoneIn):
    purpose: CodePurpose = Field(description="what the code is for: login, register or reset")


class CodeSentOut(BaseModel):
    """The same answer whether or not the phone has an account."""

    sent: bool = True
    expires_in: int = Field(description="seconds the code holds")


class CodeLoginIn(_PhoneIn):
    code: Code


class PasswordResetIn(_PhoneIn):
    code: Code = Field(description="the 6-digit code sent to the phone (purpose reset)")
    new_password: Password


class OrderMarketsIn(BaseModel):
    """Other markets (ids) the member may order in besides their own; the whole list (empty: their own only)."""

    market_ids: list[DbId] = Field(max_length=20)


class LoginIn(_PhoneIn):
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class MeOut(Out):
    id: int
    name: str
    phone: str  # masked
    roles: list[str]
    groups: list[str]  # confirmed by a curator
    claimed_groups: list[str]  # asked for in the member's pending verification request
    verified: bool = False  # 实名: the union's roster or a curator verified the member
    market_id: int
    language: str | None


class MeUpdateIn(BaseModel):
    name: Name | None = None
    groups: list[MemberGroup] | None = Field(default=None, max_length=10)
    language: Annotated[str, StringConstraints(pattern=r"^(zh-CN|en)$")] | None = None


class RolesIn(BaseModel):
    roles: list[Role] = Field(min_length=1, max_length=4)


class UserAdminOut(Out):
    id: int
    name: str
    phone: str  # masked
    roles: list[str]
    groups: list[str]
    claimed_groups: list[str]
    verified: bool = False
    is_active: bool
    order_markets: list[int] = []  # other markets a curator lets the member order in


class GroupsIn(BaseModel):
    """The groups a curator confirms a member belongs to (the whole list: one left out is taken away)."""

    groups: list[MemberGroup] = Field(max_length=10)


class AvailabilityWindow(BaseModel):
    """A weekly window in the market's time; an end of "00:00" or "24:00" is midnight."""

    weekday: Whole = Field(ge=0, le=6, description="0 = Monday")
    start: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    end: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "AvailabilityWindow":
        if self.end not in ("00:00", "24:00") and self.end <= self.start:  # "HH:MM" strings compare as times
            raise ValueError("the end must be later than the start")
        return self


class ProviderProfileIn(BaseModel):
    """PUT and PATCH /api/v1/provider/profile: only the fields sent are changed (none has a default
    that would overwrite what is stored); `null` is refused like any wrong type."""

    bio: Text(2000, multiline=True) = Field(default=None)
    honours: list[ShortText] = Field(default=None, max_length=20)
    skills: list[Tag] = Field(default=None, max_length=30)
    category_ids: list[DbId] = Field(default=None, max_length=20)
    area: Text(60) = Field(default=None)
    online: Flag = Field(default=None)
    capacity: Whole = Field(default=None, ge=1, le=100, description="open orders carried at once")
    availability: list[AvailabilityWindow] = Field(default=None, max_length=50)


class CategoryRef(Out):
    id: int
    name_zh: str
    name_en: str


class TagCount(BaseModel):
    tag: str
    count: int


class ProviderOut(Out):
    id: int
    name: str
    bio: str
    honours: list[str]
    skills: list[str]
    area: str
    online: bool
    capacity: int
    availability: list[dict]
    categories: list[CategoryRef]
    rating_avg: float | None
    rating_count: int
    rating_score: float | None
    star_level: int
    # the quick tags of visible reviews, most often first: [{"tag": "patient", "count": 12}]
    review_tags: list[TagCount] = []


class RevealIn(BaseModel):
    reason: Text(500, min_length=1) = Field(description="why the number is needed; kept in the audit trail")


class PhoneOut(Out):
    phone: str


class DeleteAccountIn(BaseModel):
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
