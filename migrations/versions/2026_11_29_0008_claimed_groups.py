"""users: groups a member claims, waiting for a curator to confirm

A member used to unlock a group's listings by saying they belong to it (PUT /api/v1/me). Now what
they say is a claim; `groups` holds what a curator confirmed. Groups already on accounts stay as they
are (they were set before the rule; a curator can take one away).

Revision ID: 2026_11_29_0008
Revises: 2026_11_29_0007
Create Date: 2026-11-29 15:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_29_0008"
down_revision: str | None = "2026_11_29_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("claimed_groups", postgresql.ARRAY(sa.String()), server_default="{}", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("users", "claimed_groups")
