"""The market tree: markets.parent_id (province → city → district) and listings.shared_below

Revision ID: 2026_11_30_nested
Revises: 2026_11_30_rollups
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_nested"
down_revision = "2026_11_30_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("markets", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_markets_parent_id_markets"), "markets", "markets", ["parent_id"], ["id"])
    op.create_index("ix_markets_parent_id", "markets", ["parent_id"])
    op.add_column("listings", sa.Column("shared_below", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("listings", "shared_below")
    op.drop_index("ix_markets_parent_id", table_name="markets")
    op.drop_constraint(op.f("fk_markets_parent_id_markets"), "markets", type_="foreignkey")
    op.drop_column("markets", "parent_id")
