"""Annotated names controllers share."""

from typing import Annotated

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.bounds import text_pattern
from ..models import User
from ..ratelimits import Limits

Db = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
MaybeUser = NamedDependency[User | None]
MarketId = NamedDependency[int]
LimitsDep = NamedDependency[Limits]
IdParam = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000)]


def client_ip(request: Request) -> str:
    """The caller's address, as the server saw it (behind a proxy: run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else ""


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


# A search query is one line of text without control characters (domain/bounds.py).
ONE_LINE = text_pattern(multiline=False, required=False)
SearchText = Annotated[str | None, Parameter(max_length=100, pattern=ONE_LINE)]
