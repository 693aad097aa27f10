from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ..domain import bounds

T = TypeVar("T")


def _refusal(error: bounds.OutOfBounds) -> PydanticCustomError:
    # The rule's name is the error type and its parameters the context, so a page can show the
    # sentence in its own language (web/pages/common.py); the API shows it as written here.
    sentence = str(error).replace("{", "{{").replace("}", "}}")
    return PydanticCustomError(error.kind, sentence, error.params or None)


def Text(max_length: int, *, min_length: int = 0, multiline: bool = False) -> Any:  # noqa: N802  (a type)
    """Text as every API field and page form takes it (domain/bounds.py): no control characters,
    invisible characters trimmed, something visible when min_length ≥ 1, at most max_length long."""
    required = min_length > 0

    def clean(value: str) -> str:
        try:
            return bounds.clean_text(value, multiline=multiline, required=required, min_length=min_length)
        except bounds.OutOfBounds as error:
            raise _refusal(error) from None

    schema: dict[str, Any] = {"pattern": bounds.text_pattern(multiline=multiline, required=required)}
    if min_length:
        schema["minLength"] = min_length
    return Annotated[str, Field(max_length=max_length, json_schema_extra=schema), AfterValidator(clean)]


def Moment(check: Callable[[datetime, datetime], datetime], description: str) -> Any:  # noqa: N802  (a type)
    """A time with its offset, within the range `check` (domain/bounds.py) allows from now.
    The range is told in pydantic's JSON Schema only (web/openapi.py publishes that for request
    bodies): Litestar shares one schema object among all date-time fields and would show it on all."""

    def within(value: datetime) -> datetime:
        try:
            return check(value, datetime.now(UTC))
        except bounds.OutOfBounds as error:
            raise _refusal(error) from None

    schema = {"type": "string", "format": "date-time", "description": description}
    return Annotated[AwareDatetime, AfterValidator(within), WithJsonSchema(schema)]


def _number_as_sent(value: Any, info: ValidationInfo) -> Any:
    """A JSON body sends a number as a number (not true, not "3"); a page form sends text, which
    web/pages/common.validate marks with the context {"form": True}."""
    if isinstance(value, bool) or (isinstance(value, str) and not (info.context or {}).get("form")):
        raise PydanticCustomError("int_type", "Input should be a whole number.")
    return value


def _true_or_false(value: Any) -> Any:
    # Not 0, "yes" or "on": pages pass a bool they worked out from the form themselves.
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be true or false.")
    return value


Whole = Annotated[int, BeforeValidator(_number_as_sent)]
Flag = Annotated[bool, BeforeValidator(_true_or_false)]
ShortText = Text(200)
Reason = Text(1000, min_length=1, multiline=True)
OptionalReason = Text(1000, multiline=True)
Note = Text(1000, multiline=True)
Tag = Text(30, min_length=1)
DbId = Annotated[Whole, Field(ge=1, le=2**31 - 1)]
SessionTime = Moment(bounds.session_time, "with its offset; in the future, at most two years ahead")
AgreedTime = Moment(bounds.agreed_time, "with its offset; from a day ago to two years ahead")
PreferredMoment = Moment(bounds.preferred_time, "with its offset; within the need's life: a day ago to 8 days ahead")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


class ReasonIn(BaseModel):
    reason: Reason


class PictureOut(BaseModel):
    """A picture of a listing or a station: the large file (≤ 1280 px a side) and its thumbnail (≤ 400 px)."""

    id: int
    url: str
    width: int
    height: int
    thumb_url: str
    thumb_width: int
    thumb_height: int
