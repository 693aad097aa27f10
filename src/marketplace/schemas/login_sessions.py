from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from .common import Out


class LoginSessionOut(Out):
    id: int
    user_agent: str  # the browser or app that logged in
    created_at: datetime
    last_seen_at: datetime  # within five minutes
    current: bool  # the session of this request


class PasswordChangeIn(BaseModel):
    old_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Annotated[str, StringConstraints(max_length=128)] = Field(
        description="at least 8 characters, not one of the commonest, not your phone number"
    )
