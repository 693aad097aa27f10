"""fair seats (issue #15): quotas, lottery draws, priority reserves; registered orders are live (a
session's: the on-request index is unchanged)

Revision ID: 2026_11_29_fairseats_lottery
Revises: 2026_11_29_0009
Create Date: 2026-11-29 16:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_29_fairseats_lottery"
down_revision: str | None = "2026_11_29_needsloop_a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The live states before and after this migration (domain.orders.LIVE_STATES): fixed here on purpose.
_OLD = "'accepted', 'delivered', 'disputed', 'offered', 'placed', 'waitlisted'"
_NEW = "'accepted', 'delivered', 'disputed', 'offered', 'placed', 'registered', 'waitlisted'"


def _live_indexes(live: str) -> None:
    op.drop_index("uq_orders_member_session_live", table_name="orders")
    op.create_index(
        "uq_orders_member_session_live",
        "orders",
        ["member_id", "session_id"],
        unique=True,
        postgresql_where=sa.text(f"session_id IS NOT NULL AND state IN ({live})"),
    )


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("max_live", sa.Integer(), nullable=True),
        sa.Column("max_per_period", sa.Integer(), nullable=True),
        sa.Column("period_days", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name=op.f("fk_quotas_category_id_categories")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_quotas_created_by_users")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_quotas_market_id_markets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
    )
    op.create_index(op.f("ix_quotas_category_id"), "quotas", ["category_id"], unique=False)
    op.create_index(op.f("ix_quotas_market_id"), "quotas", ["market_id"], unique=False)
    op.create_table(
        "lottery_draws",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draw_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirm_hours", sa.Integer(), nullable=True),
        sa.Column("seed_sealed", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("entries", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("entries_digest", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("reserve_seats", sa.Integer(), nullable=True),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_lottery_draws_created_by_users")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_lottery_draws_market_id_markets")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["listing_sessions.id"], name=op.f("fk_lottery_draws_session_id_listing_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_lottery_draws")),
    )
    op.create_index(op.f("ix_lottery_draws_draw_at"), "lottery_draws", ["draw_at"], unique=False)
    op.create_index(op.f("ix_lottery_draws_market_id"), "lottery_draws", ["market_id"], unique=False)
    op.add_column("listing_sessions", sa.Column("reserve_percent", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "listing_sessions",
        sa.Column("reserve_groups", postgresql.ARRAY(sa.String()), server_default="{}", nullable=False),
    )
    op.add_column("listing_sessions", sa.Column("reserve_release_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("draw_rank", sa.Integer(), nullable=True))
    _live_indexes(_NEW)


def downgrade() -> None:
    op.execute("UPDATE orders SET state = 'cancelled' WHERE state = 'registered'")
    _live_indexes(_OLD)
    op.drop_column("orders", "draw_rank")
    op.drop_column("listing_sessions", "reserve_release_at")
    op.drop_column("listing_sessions", "reserve_groups")
    op.drop_column("listing_sessions", "reserve_percent")
    op.drop_index(op.f("ix_lottery_draws_market_id"), table_name="lottery_draws")
    op.drop_index(op.f("ix_lottery_draws_draw_at"), table_name="lottery_draws")
    op.drop_table("lottery_draws")
    op.drop_index(op.f("ix_quotas_market_id"), table_name="quotas")
    op.drop_index(op.f("ix_quotas_category_id"), table_name="quotas")
    op.drop_table("quotas")
