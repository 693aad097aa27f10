"""The menu's newest-first order read off an index (market, state, published_at DESC, id DESC)

Revision ID: 2026_11_30_menu_index
Revises: 2026_11_30_scale
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_menu_index"
down_revision = "2026_11_30_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_listings_market_state_published",
        "listings",
        ["market_id", "state", sa.text("published_at DESC NULLS LAST"), sa.text("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_listings_market_state_published", table_name="listings")
