"""The desk's figures per market and day (figure_days and friends), folded from order events by the worker

The tables start empty with the watermark at 0: the first folds (worker, or bench/scale_data.py) build them
from the whole history, and until then the dashboard computes the unfolded tail live, so the upgrade is quick.

Revision ID: 2026_11_30_rollups
Revises: 2026_11_30_audit14
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_rollups"
down_revision = "2026_11_30_audit14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_days",
        sa.Column("market_id", sa.Integer(), sa.ForeignKey("markets.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("figure", sa.String(20), primary_key=True),
        sa.Column("key", sa.String(20), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "figure_months",
        sa.Column("market_id", sa.Integer(), sa.ForeignKey("markets.id"), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("figure", sa.String(20), primary_key=True),
        sa.Column("key", sa.String(20), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "figure_served_members",
        sa.Column("market_id", sa.Integer(), sa.ForeignKey("markets.id"), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("last_day", sa.Date(), nullable=False),
    )
    op.create_index("ix_figure_served_members_market_day", "figure_served_members", ["market_id", "last_day"])
    op.create_index("ix_figure_served_members_member_id", "figure_served_members", ["member_id"])
    op.create_table(
        "figure_provider_deliveries",
        sa.Column("market_id", sa.Integer(), sa.ForeignKey("markets.id"), primary_key=True),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("last_delivered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_figure_provider_deliveries_market_last", "figure_provider_deliveries", ["market_id", "last_delivered_at"]
    )
    op.create_index("ix_figure_provider_deliveries_provider_id", "figure_provider_deliveries", ["provider_id"])
    op.create_table(
        "figure_folds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("folded_upto", sa.BigInteger(), nullable=False),
        sa.Column("pending_upto", sa.BigInteger(), nullable=True),
        sa.Column("pending_xmax", sa.BigInteger(), nullable=True),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO figure_folds (id, folded_upto) VALUES (1, 0)")
    op.create_index(
        "ix_orders_market_delivered",
        "orders",
        ["market_id", "delivered_at"],
        postgresql_where=sa.text("delivered_at IS NOT NULL"),
    )
    op.create_index("ix_reviews_market_created", "reviews", ["market_id", "created_at"])
    op.create_index(
        "ix_reviews_market_hidden", "reviews", ["market_id"], postgresql_where=sa.text("hidden_at IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_market_hidden", table_name="reviews")
    op.drop_index("ix_reviews_market_created", table_name="reviews")
    op.drop_index("ix_orders_market_delivered", table_name="orders")
    op.drop_table("figure_folds")
    op.drop_table("figure_provider_deliveries")
    op.drop_table("figure_served_members")
    op.drop_table("figure_months")
    op.drop_table("figure_days")
