"""orders: one live order per member per on-request listing

Sessions had this rule from the start (uq_orders_member_session_live); an on-request listing, whose
orders have no session, had none, so a member could hold several live orders of it. Live duplicates
already there are withdrawn first — the one that went furthest, else the oldest, is kept — each with
its event, as the transition table's system move `withdraw_duplicate`, so nothing changes state
without a trace; their pending offers and reminders go with them.

Revision ID: 2026_11_29_0004
Revises: 2026_11_22_0003
Create Date: 2026-11-29 14:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_29_0004"
down_revision: str | None = "2026_11_22_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The live states when this migration was written (domain.orders.LIVE_STATES): fixed here on purpose.
_LIVE = "'accepted', 'delivered', 'disputed', 'offered', 'placed', 'waitlisted'"
_WHERE = f"session_id IS NULL AND listing_id IS NOT NULL AND state IN ({_LIVE})"


def upgrade() -> None:
    op.execute(
        sa.text(
            f"""
WITH ranked AS (
    -- keep the order that went furthest (a delivered or disputed one), else the oldest
    SELECT id, state, market_id,
        row_number() OVER (
            PARTITION BY member_id, listing_id
            ORDER BY state IN ('delivered', 'disputed') DESC, created_at, id
        ) AS n
    FROM orders WHERE {_WHERE}
), withdrawn AS (
    UPDATE orders SET state = 'cancelled', updated_at = now()
    FROM ranked WHERE orders.id = ranked.id AND ranked.n > 1
    RETURNING orders.id, orders.market_id, ranked.state AS from_state
), offers_closed AS (
    UPDATE offers SET state = 'withdrawn', reason = 'duplicate order', responded_at = now()
    WHERE state = 'pending' AND order_id IN (SELECT id FROM withdrawn)
), reminders_dropped AS (
    UPDATE outbox_jobs SET state = 'cancelled', finished_at = now()
    FROM withdrawn WHERE outbox_jobs.state = 'pending' AND outbox_jobs.dedupe_key LIKE 'order:' || withdrawn.id || ':%'
)
INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data)
SELECT id, market_id, now(), NULL, 'system', 'withdraw_duplicate', from_state, 'cancelled',
    'a second live order of the same on-request listing', '{{}}'
FROM withdrawn
"""
        )
    )
    op.create_index(
        "uq_orders_member_on_request_live",
        "orders",
        ["member_id", "listing_id"],
        unique=True,
        postgresql_where=sa.text(_WHERE),
    )


def downgrade() -> None:
    op.drop_index("uq_orders_member_on_request_live", table_name="orders")
