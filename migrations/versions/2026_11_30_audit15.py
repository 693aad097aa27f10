"""Extra weight in a session's draw for its priority groups (issue #15 item 3)

Revision ID: 2026_11_30_audit15
Revises: 2026_11_30_scale_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_audit15"
down_revision = "2026_11_30_scale_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("listing_sessions", sa.Column("priority_weight", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("listing_sessions", "priority_weight")
