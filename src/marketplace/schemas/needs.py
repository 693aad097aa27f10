"""The classifier of free-text needs over the API."""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from .common import DbId

NeedText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
MAX_TEXTS = 500


class ClassifyIn(BaseModel):
    texts: list[NeedText] = Field(min_length=1, max_length=MAX_TEXTS)


class ClassifiedOut(BaseModel):
    category_id: int
    domain_id: int  # the top-level category (the domain) above it
    confidence: float  # 0–1
    runner_up_id: int | None


class ClassifyOut(BaseModel):
    items: list[ClassifiedOut]


class FileNeedIn(BaseModel):
    category_id: DbId


class FiledOut(BaseModel):
    order_id: int
    category_id: int
    previous_category_id: int


class FiledAnswerOut(BaseModel):
    answer_id: int
    category_id: int
    previous_category_id: int | None  # None: the import found no category to suggest
