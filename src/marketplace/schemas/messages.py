from datetime import datetime

from pydantic import BaseModel

from ..domain.bounds import MESSAGE_LENGTH
from .common import Text


class MessageIn(BaseModel):
    """A message to the other party of the order (plain text; shown escaped, never as HTML)."""

    body: Text(MESSAGE_LENGTH, min_length=1, multiline=True)


class MessageOut(BaseModel):
    id: int
    order_id: int
    author_id: int
    author_name: str
    author_role: str  # member, provider, operator, curator
    mine: bool  # written by the caller
    body: str
    created_at: datetime
