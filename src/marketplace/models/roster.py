"""The real-name roster (会员名册, 实名制): the union's member list per market, its imports, and members'
requests to be verified by a curator."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import created_at_field, market_fk, state_field, text_list_field, timestamp_field
from .imports import TabularImport


class RosterImport(TabularImport, table=True):
    """A roster file a curator uploaded, its mapping, and how far its import has come."""

    __tablename__ = "roster_imports"
    __table_args__ = (sa.UniqueConstraint("market_id", "digest"),)

    updated_rows: int = Field(default=0, nullable=False)  # entries already there that the file changed
    verified_users: int = Field(default=0, nullable=False)  # accounts verified (or brought up to date)
    name_mismatches: int = Field(default=0, nullable=False)  # a phone's account carries another name


class RosterFile(SQLModel, table=True):
    """The uploaded rows (plain CSV) until the import is done."""

    __tablename__ = "roster_files"

    import_id: int = Field(foreign_key="roster_imports.id", primary_key=True, ondelete="CASCADE")
    content: bytes = Field(sa_type=sa.LargeBinary, nullable=False)


class RosterEntry(SQLModel, table=True):
    """One member of the union as the roster says: a re-import updates the row of the same phone."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        sa.UniqueConstraint("market_id", "phone"),
        sa.UniqueConstraint("market_id", "union_card", name="uq_roster_entries_market_union_card"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    name: str = Field(sa_type=sa.String(60), nullable=False)
    phone: str = Field(sa_type=sa.String(20), nullable=False)  # domain/phones.normalize_phone
    union_card: str | None = Field(default=None, sa_type=sa.String(30))
    workplace: str = Field(default="", sa_type=sa.String(100), nullable=False)
    groups: list[str] = text_list_field()
    import_id: int | None = Field(default=None, foreign_key="roster_imports.id", index=True)
    row_number: int | None = Field(default=None)
    # The account with this phone, once seen, and whether its name differs from the roster's (then it is
    # not verified by the roster: a curator decides).
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    name_differs: bool = Field(default=False, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class VerificationRequest(SQLModel, table=True):
    """A member's request to be verified (and to join groups) that a curator approves or declines."""

    __tablename__ = "verification_requests"
    __table_args__ = (
        # one open request per member: asking again updates it
        sa.Index(
            "uq_verification_requests_user_pending",
            "user_id",
            unique=True,
            postgresql_where=sa.text("state = 'pending'"),
        ),
        sa.Index("ix_verification_requests_market_state", "market_id", "state", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    user_id: int = Field(foreign_key="users.id", nullable=False)
    union_card: str = Field(default="", sa_type=sa.String(30), nullable=False)
    workplace: str = Field(default="", sa_type=sa.String(100), nullable=False)
    groups: list[str] = text_list_field()  # the groups asked for
    note: str = Field(default="", sa_type=sa.String(500), nullable=False)
    state: str = state_field("pending")  # pending | approved | declined | closed
    reason: str = Field(default="", sa_type=sa.String(500), nullable=False)  # a decline's reason
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
