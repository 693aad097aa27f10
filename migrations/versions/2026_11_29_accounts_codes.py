"""one-time codes (验证码) kept as HMACs; other markets a curator lets a member order in

Revision ID: 2026_11_29_accounts_codes
Revises: 2026_11_29_0009
Create Date: 2026-11-29 16:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_29_accounts_codes"
down_revision: str | None = "2026_11_29_thread_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_codes")),
    )
    op.create_index("ix_one_time_codes_phone_purpose", "one_time_codes", ["phone", "purpose", "id"], unique=False)
    op.add_column(
        "users", sa.Column("order_markets", postgresql.ARRAY(sa.Integer()), server_default="{}", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("users", "order_markets")
    op.drop_index("ix_one_time_codes_phone_purpose", table_name="one_time_codes")
    op.drop_table("one_time_codes")
