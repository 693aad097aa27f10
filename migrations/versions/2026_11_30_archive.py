"""Archiving: finished old orders and read old notices leave the hot indexes (issue #17 item 5)

`archived_at` on orders and notifications; each person-keyed index is split into a hot partial index
(`WHERE archived_at IS NULL`) and its archive twin (`IS NOT NULL`). Adding a nullable column is instant;
no row is archived here (the nightly job does it in batches).

Revision ID: 2026_11_30_archive
Revises: 2026_11_30_audit15
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_archive"
down_revision = "2026_11_30_audit15"
branch_labels = None
depends_on = None

HOT = sa.text("archived_at IS NULL")
ARCHIVED = sa.text("archived_at IS NOT NULL")


def _newest(*columns: str) -> list:
    return [*columns, sa.text("created_at DESC"), sa.text("id DESC")]


def upgrade() -> None:
    op.add_column("orders", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("notifications", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_orders_member_created", table_name="orders")
    op.drop_index("ix_orders_provider_state", table_name="orders")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.create_index("ix_orders_member_hot", "orders", _newest("member_id"), postgresql_where=HOT)
    op.create_index("ix_orders_member_archived", "orders", _newest("member_id"), postgresql_where=ARCHIVED)
    op.create_index("ix_orders_provider_state_hot", "orders", ["provider_id", "state"], postgresql_where=HOT)
    op.create_index("ix_orders_provider_archived", "orders", _newest("provider_id"), postgresql_where=ARCHIVED)
    op.create_index("ix_notifications_user_hot", "notifications", _newest("user_id"), postgresql_where=HOT)
    op.create_index("ix_notifications_user_archived", "notifications", _newest("user_id"), postgresql_where=ARCHIVED)


def downgrade() -> None:
    # The rows stay; only the flag and the split indexes go (archived rows are ordinary rows again).
    for table, name in (
        ("notifications", "ix_notifications_user_archived"),
        ("notifications", "ix_notifications_user_hot"),
        ("orders", "ix_orders_provider_archived"),
        ("orders", "ix_orders_provider_state_hot"),
        ("orders", "ix_orders_member_archived"),
        ("orders", "ix_orders_member_hot"),
    ):
        op.drop_index(name, table_name=table)
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"])
    op.create_index("ix_orders_provider_state", "orders", ["provider_id", "state"])
    op.create_index("ix_orders_member_created", "orders", ["member_id", "created_at"])
    op.drop_column("notifications", "archived_at")
    op.drop_column("orders", "archived_at")
