"""categories: confidential (counselling, legal help), with the categories below them

Revision ID: 2026_11_29_0009
Revises: 2026_11_29_0008
Create Date: 2026-11-29 15:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_29_0009"
down_revision: str | None = "2026_11_29_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("categories", sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("categories", "confidential")
