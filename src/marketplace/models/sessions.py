from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, timestamp_field


class LoginSession(SQLModel, table=True):
    """One login (a phone, a browser, a script): every token names one, and a revoked one stops working."""

    __tablename__ = "login_sessions"
    __table_args__ = (
        # "my active sessions" and "revoke all of this person's": only the live ones are ever looked up.
        sa.Index("ix_login_sessions_user_live", "user_id", postgresql_where=sa.text("revoked_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    user_agent: str = Field(default="", sa_type=sa.String(200), nullable=False)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    revoked_at: datetime | None = timestamp_field()
