from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, timestamp_field


class OneTimeCode(SQLModel, table=True):
    """A 验证码 sent to a phone (services/codes.py): only its HMAC is kept, it is used once, and it
    expires after CODE_TTL_SECONDS or CODE_MAX_ATTEMPTS wrong tries, whichever comes first."""

    __tablename__ = "one_time_codes"
    __table_args__ = (
        # The one lookup: the newest live code of a phone for one purpose.
        sa.Index("ix_one_time_codes_phone_purpose", "phone", "purpose", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(sa_type=sa.String(20), nullable=False)
    purpose: str = Field(sa_type=sa.String(20), nullable=False)  # login | register | reset
    code_hash: str = Field(sa_type=sa.String(64), nullable=False)
    attempts: int = Field(default=0, nullable=False)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    used_at: datetime | None = timestamp_field()
