"""campaigns: 免申即享 proactive offers (a campaign's places for groups, one offer per member)

Revision ID: 2026_11_30_offers
Revises: 2026_11_30_search_grams
Create Date: 2026-11-29 19:26:02.987721+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_30_offers"
down_revision: str | None = "2026_11_30_search_grams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("benefit_name", sa.String(length=120), nullable=False),
        sa.Column("benefit_description", sa.Text(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("groups", postgresql.ARRAY(sa.String()), server_default="{}", nullable=False),
        sa.Column("window_hours", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("ranking", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("seats_held", sa.Integer(), nullable=False),
        sa.Column("seats_released", sa.Integer(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("places > 0", name=op.f("ck_campaigns_places_positive")),
        sa.CheckConstraint(
            "seats_held >= 0 AND seats_held <= places", name=op.f("ck_campaigns_seats_held_within_places")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_campaigns_created_by_users")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_campaigns_market_id_markets")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["listing_sessions.id"], name=op.f("fk_campaigns_session_id_listing_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_market_id"), "campaigns", ["market_id"], unique=False)
    op.create_index("ix_campaigns_market_state", "campaigns", ["market_id", "state"], unique=False)
    op.create_index(op.f("ix_campaigns_session_id"), "campaigns", ["session_id"], unique=False)
    op.create_table(
        "campaign_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("groups", postgresql.ARRAY(sa.String()), server_default="{}", nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("redeem_code", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_offers_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_campaign_offers_market_id_markets")),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_campaign_offers_member_id_users")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_campaign_offers_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_offers")),
        sa.UniqueConstraint("campaign_id", "member_id", name="uq_campaign_offers_campaign_member"),
        sa.UniqueConstraint("campaign_id", "redeem_code", name="uq_campaign_offers_campaign_code"),
    )
    op.create_index(op.f("ix_campaign_offers_campaign_id"), "campaign_offers", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_campaign_offers_market_id"), "campaign_offers", ["market_id"], unique=False)
    op.create_index(op.f("ix_campaign_offers_member_id"), "campaign_offers", ["member_id"], unique=False)
    op.create_index("ix_campaign_offers_state_deadline", "campaign_offers", ["state", "deadline_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_campaign_offers_state_deadline", table_name="campaign_offers")
    op.drop_index(op.f("ix_campaign_offers_member_id"), table_name="campaign_offers")
    op.drop_index(op.f("ix_campaign_offers_market_id"), table_name="campaign_offers")
    op.drop_index(op.f("ix_campaign_offers_campaign_id"), table_name="campaign_offers")
    op.drop_table("campaign_offers")
    op.drop_index(op.f("ix_campaigns_session_id"), table_name="campaigns")
    op.drop_index("ix_campaigns_market_state", table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_market_id"), table_name="campaigns")
    op.drop_table("campaigns")
