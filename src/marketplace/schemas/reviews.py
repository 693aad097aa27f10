from datetime import datetime

from pydantic import BaseModel

from .common import Out, Text


class ReplyIn(BaseModel):
    text: Text(2000, min_length=1, multiline=True)


class ReviewOut(Out):
    id: int
    order_id: int
    listing_id: int | None
    title: str = ""  # what was reviewed (the order's title)
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
