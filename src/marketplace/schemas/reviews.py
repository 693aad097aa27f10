from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from .common import Out


class ReplyIn(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ReviewOut(Out):
    id: int
    order_id: int
    listing_id: int | None
    provider_id: int
    member_name: str  # shown as 张** to the public
    stars: int
    tags: list[str]
    text: str
    reply: str | None
    replied_at: datetime | None
    hidden: bool
    hidden_reason: str | None = None  # staff and the author only
    created_at: datetime
