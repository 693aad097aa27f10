"""order_messages (the order's thread); orders: the member's answer to an arrangement; reviews: quick tags

A member and a provider talk inside the order (their phones stay masked). Without a session, the member
agrees to an arrangement or proposes another time (orders.time_agreed_at, orders.time_proposal). Review
tags become a fixed list stored by code: free-text tags written before it that name one of its tags in
Chinese are turned into its code; others stay as written (shown as typed, never counted).

Revision ID: 2026_11_29_thread_messages
Revises: 2026_11_29_0009
Create Date: 2026-11-29 16:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_11_29_thread_messages"
down_revision: str | None = "2026_11_29_hotline_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The Chinese words of free-text tags that name one of the list's tags (domain/review_tags.FROM_TEXT).
FROM_TEXT = {
    "准时": "on_time",
    "耐心": "patient",
    "专业": "professional",
    "讲解清楚": "clear",
    "收获大": "rewarding",
    "收获很大": "rewarding",
}


def upgrade() -> None:
    op.create_table(
        "order_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_order_messages_author_id_users")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_order_messages_market_id_markets")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_messages_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_messages")),
    )
    op.create_index(op.f("ix_order_messages_market_id"), "order_messages", ["market_id"], unique=False)
    op.create_index("ix_order_messages_order_created", "order_messages", ["order_id", "created_at"], unique=False)
    op.add_column("orders", sa.Column("time_agreed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("time_proposal", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    for text, code in FROM_TEXT.items():
        op.execute(
            sa.text("UPDATE reviews SET tags = array_replace(tags, :text, :code) WHERE :text = ANY(tags)").bindparams(
                text=text, code=code
            )
        )
    # a tag named twice (收获大 and 收获很大) is kept once, in its first place
    op.execute(
        "UPDATE reviews SET tags = ARRAY(SELECT t FROM unnest(tags) WITH ORDINALITY AS u(t, i) "
        "GROUP BY t ORDER BY min(i)) WHERE cardinality(tags) > 1"
    )


def downgrade() -> None:
    op.drop_column("orders", "time_proposal")
    op.drop_column("orders", "time_agreed_at")
    op.drop_index("ix_order_messages_order_created", table_name="order_messages")
    op.drop_index(op.f("ix_order_messages_market_id"), table_name="order_messages")
    op.drop_table("order_messages")
