"""waitlist places taken in line: orders.line_place and a per-session counter (issued, departed)

A waitlisted order's place used to be counted inside the order's own statement, which cannot see the
orders of concurrent transactions that have not committed: in a burst of 2,000, most of the 1,970 waiting
members were told a place that another member was told too. Now a committed waitlisted order takes the
next number of its session's line (`waitlist_lines.issued`) in one short statement, and its place is that
number less the numbered orders that have left the line before it (`departed`, kept by a trigger).

Revision ID: 2026_11_30_waitlist_lines
Revises: 2026_11_30_surveyqueue
Create Date: 2026-11-30 00:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_30_waitlist_lines"
down_revision: str | None = "2026_11_30_surveyqueue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A numbered order leaving the line (promoted, cancelled, expired, deleted) moves everyone behind it up.
LEFT_THE_LINE = """
CREATE FUNCTION waitlist_line_left() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE waitlist_lines SET departed = departed + 1 WHERE session_id = OLD.session_id;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    """
CREATE TRIGGER waitlist_line_left_on_update AFTER UPDATE OF state ON orders
FOR EACH ROW WHEN (OLD.state = 'waitlisted' AND NEW.state <> 'waitlisted' AND OLD.line_place IS NOT NULL)
EXECUTE FUNCTION waitlist_line_left()
""",
    """
CREATE TRIGGER waitlist_line_left_on_delete AFTER DELETE ON orders
FOR EACH ROW WHEN (OLD.state = 'waitlisted' AND OLD.line_place IS NOT NULL)
EXECUTE FUNCTION waitlist_line_left()
""",
)

# Today's waiting lists keep their order (first come, first served): numbered 1..n per session.
NUMBER_THE_WAITING = """
WITH numbered AS (
    SELECT id, session_id, row_number() OVER (PARTITION BY session_id ORDER BY created_at, id) AS place
    FROM orders
    WHERE state = 'waitlisted' AND session_id IS NOT NULL AND draw_rank IS NULL
), lines AS (
    INSERT INTO waitlist_lines (session_id, issued, departed)
    SELECT session_id, max(place), 0 FROM numbered GROUP BY session_id
)
UPDATE orders SET line_place = numbered.place FROM numbered WHERE orders.id = numbered.id
"""


def upgrade() -> None:
    op.create_table(
        "waitlist_lines",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("departed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listing_sessions.id"],
            name=op.f("fk_waitlist_lines_session_id_listing_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_waitlist_lines")),
    )
    # In no index (nor an index's predicate), so that numbering an order can be a HOT update that writes
    # none of the orders' indexes again.
    op.add_column("orders", sa.Column("line_place", sa.Integer(), nullable=True))
    op.execute(NUMBER_THE_WAITING)
    op.execute(LEFT_THE_LINE)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    op.execute("DROP TRIGGER waitlist_line_left_on_delete ON orders")
    op.execute("DROP TRIGGER waitlist_line_left_on_update ON orders")
    op.execute("DROP FUNCTION waitlist_line_left()")
    op.drop_column("orders", "line_place")
    op.drop_table("waitlist_lines")
