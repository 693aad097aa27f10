"""The market tree through the API: a parent market's curator lists its subtree and adds markets below it."""

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from .common import DbId, Text

MarketSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class MarketIn(BaseModel):
    slug: MarketSlug
    name_zh: Text(100, min_length=1)
    name_en: Text(100, min_length=1)
    parent_id: DbId | None = None  # a market of the curator's subtree (left out: the curator's own market)


class MarketOut(BaseModel):
    id: int
    slug: str
    name_zh: str
    name_en: str
    parent_id: int | None
    depth: int  # 0: the curator's own market, 1: a market right below it, …
