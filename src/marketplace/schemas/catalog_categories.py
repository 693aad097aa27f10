from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from .common import DbId, Flag, Out, Text, Whole

CategoryName = Text(60, min_length=1)
Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]


class CategoryIn(BaseModel):
    slug: Slug
    name_zh: CategoryName
    name_en: CategoryName
    parent_id: DbId | None = None
    position: Whole = Field(default=0, ge=0, le=10_000)
    offer_deadline_hours: Whole | None = Field(default=None, ge=1, le=24 * 14)
    confidential: Flag = False


class CategoryPatch(BaseModel):
    """Only the fields sent are changed; `parent_id: null` moves a category to the top."""

    name_zh: CategoryName | None = None
    name_en: CategoryName | None = None
    parent_id: DbId | None = None
    position: Whole | None = Field(default=None, ge=0, le=10_000)
    offer_deadline_hours: Whole | None = Field(default=None, ge=1, le=24 * 14)
    archived: Flag | None = None
    confidential: Flag | None = None


class CategoryOut(Out):
    id: int
    parent_id: int | None
    slug: str
    name_zh: str
    name_en: str
    position: int
    offer_deadline_hours: int | None
    confidential: bool = False
    archived: bool = False
    children: list["CategoryOut"] = Field(default_factory=list)


class CategoryTree(BaseModel):
    items: list[CategoryOut]
