"""satisfaction: "would recommend" (was "would use again"), follow-up cases' outcome and escalation

Revision ID: 2026_11_30_audit14
Revises: 2026_11_30_archive
Create Date: 2026-11-29 22:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_30_audit14"
down_revision: str | None = "2026_11_30_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the survey asks whether the member would recommend the service (issue #14, item 6)
    op.alter_column("satisfaction_surveys", "again", new_column_name="recommend")
    op.add_column("follow_up_cases", sa.Column("outcome", sa.String(20), server_default="", nullable=False))
    op.add_column("follow_up_cases", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("follow_up_cases", sa.Column("escalated_in", sa.String(20), server_default="", nullable=False))
    op.alter_column("follow_up_cases", "outcome", server_default=None)
    op.alter_column("follow_up_cases", "escalated_in", server_default=None)


def downgrade() -> None:
    op.drop_column("follow_up_cases", "escalated_in")
    op.drop_column("follow_up_cases", "escalated_at")
    op.drop_column("follow_up_cases", "outcome")
    op.alter_column("satisfaction_surveys", "recommend", new_column_name="again")
