"""outbox: an index for cancelling jobs by dedupe-key prefix

`queue.cancel_jobs` filters `dedupe_key LIKE 'order:N:%'`. The unique index on dedupe_key uses the
database's collation, which cannot serve a LIKE prefix unless it is "C"; text_pattern_ops can, so
cancelling an order's reminders stays an index scan on a big outbox.

Revision ID: 2026_11_22_0003
Revises: 2026_11_22_0002
Create Date: 2026-11-22 16:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_22_0003"
down_revision: str | None = "2026_11_22_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_jobs_dedupe_key_prefix",
        "outbox_jobs",
        ["dedupe_key"],
        unique=False,
        postgresql_ops={"dedupe_key": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_jobs_dedupe_key_prefix", table_name="outbox_jobs")
