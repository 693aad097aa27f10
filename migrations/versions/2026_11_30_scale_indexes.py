"""Indexes for province scale: the menu's newest first, the desk's newest orders, the figures' funnel

Revision ID: 2026_11_30_scale_indexes
Revises: 2026_11_30_scale
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_scale_indexes"
down_revision = "2026_11_30_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_listings_market_state_published",
        "listings",
        ["market_id", "state", sa.text("published_at DESC NULLS LAST"), sa.text("id DESC")],
    )
    op.create_index("ix_orders_market_created", "orders", ["market_id", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_order_events_market_to_state_order", "order_events", ["market_id", "to_state", "order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_events_market_to_state_order", table_name="order_events")
    op.drop_index("ix_orders_market_created", table_name="orders")
    op.drop_index("ix_listings_market_state_published", table_name="listings")
