"""workers: the promoted-seat confirmation window and the outbox send count

Revision ID: 2026_11_22_0002
Revises: 5fb555538864
Create Date: 2026-11-22 14:10:36.553813+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_22_0002"
down_revision: str | None = "5fb555538864"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("confirm_by", sa.DateTime(timezone=True), nullable=True))
    # Existing outbox rows count as never sent by the new scheme; the default fills them.
    op.add_column("outbox_jobs", sa.Column("sends", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("outbox_jobs", "sends")
    op.drop_column("orders", "confirm_by")
