"""Listings keep the menu's two session facts: the next start and the last start with a seat free

The menu's "available" filter and "soonest" order summed the seats of every upcoming session of the
market's menu on every request (issue #17). Each listing now holds
- `next_session_at`: the earliest start, after the moment it was computed, of a session not called off;
- `seats_open_until`: the latest start of a session not called off with a seat free, so "has a seat in an
  upcoming session" is `seats_open_until > now()` — exact at every moment, with no refresh as time passes.
Triggers on `listing_sessions` keep both: after sessions are added or removed (per statement, so a COPY of
thousands is one refresh), and after a session's start, calling off, capacity or fullness changes (per row,
only then: an order that takes a seat and leaves the session neither full nor free writes nothing more).
`next_session_at` goes stale when its session starts; the worker's minute scan refreshes those listings
(`ix_listings_next_session_at`), and the menu computes the exact value for any it has not reached yet.

Revision ID: 2026_11_30_menuseats
Revises: 2026_11_30_nested
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_menuseats"
down_revision = "2026_11_30_nested"
branch_labels = None
depends_on = None

# The listings are locked first, in id order: a writer of another session of the same listing waits there,
# and the sums (a later statement of a VOLATILE function: a new snapshot) then see what it committed — two
# sessions filling at once cannot each leave the other counted as free. NO KEY UPDATE, the lock the UPDATE
# takes anyway, not FOR UPDATE: it does not wait for the KEY SHARE locks that inserting an order (its foreign
# key to the listing) holds — an order that has inserted and waits for the session's row would deadlock.
REFRESH = """
CREATE FUNCTION refresh_listing_seats(ids integer[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM listings WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE listings AS l SET next_session_at = f.next_at, seats_open_until = f.open_until
    FROM (
        SELECT i.id,
            (SELECT min(s.starts_at) FROM listing_sessions AS s
             WHERE s.listing_id = i.id AND s.cancelled_at IS NULL AND s.starts_at > now()) AS next_at,
            (SELECT max(s.starts_at) FROM listing_sessions AS s
             WHERE s.listing_id = i.id AND s.cancelled_at IS NULL AND s.seats_taken < s.capacity) AS open_until
        FROM (SELECT DISTINCT unnest(ids) AS id) AS i
    ) AS f
    WHERE l.id = f.id
      AND (l.next_session_at IS DISTINCT FROM f.next_at OR l.seats_open_until IS DISTINCT FROM f.open_until);
END
$$
"""

ROW_CHANGED = """
CREATE FUNCTION listing_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_listing_seats(ARRAY[OLD.listing_id, NEW.listing_id]);
    RETURN NULL;
END
$$
"""

ROWS_ADDED_OR_REMOVED = """
CREATE FUNCTION listing_sessions_added_or_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_listing_seats(ARRAY(SELECT DISTINCT listing_id FROM changed));
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    """
CREATE TRIGGER listing_seats_on_update
AFTER UPDATE OF listing_id, starts_at, cancelled_at, capacity, seats_taken ON listing_sessions
FOR EACH ROW WHEN (
    OLD.listing_id <> NEW.listing_id
    OR OLD.starts_at <> NEW.starts_at
    OR OLD.cancelled_at IS DISTINCT FROM NEW.cancelled_at
    OR (OLD.seats_taken < OLD.capacity) <> (NEW.seats_taken < NEW.capacity)
) EXECUTE FUNCTION listing_session_changed()
""",
    """
CREATE TRIGGER listing_seats_on_insert AFTER INSERT ON listing_sessions
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION listing_sessions_added_or_removed()
""",
    """
CREATE TRIGGER listing_seats_on_delete AFTER DELETE ON listing_sessions
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION listing_sessions_added_or_removed()
""",
)


def upgrade() -> None:
    op.add_column("listings", sa.Column("next_session_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("listings", sa.Column("seats_open_until", sa.DateTime(timezone=True), nullable=True))
    op.execute(REFRESH)
    op.execute(ROW_CHANGED)
    op.execute(ROWS_ADDED_OR_REMOVED)
    for trigger in TRIGGERS:
        op.execute(trigger)
    op.execute("SELECT refresh_listing_seats(ARRAY(SELECT id FROM listings))")  # the backfill
    op.create_index(
        "ix_listings_market_state_next_session",
        "listings",
        ["market_id", "state", "next_session_at", sa.text("id DESC")],
        postgresql_include=["shape", "seats_open_until"],  # "available" counted off the index alone
    )
    op.create_index(
        "ix_listings_next_session_at",
        "listings",
        ["next_session_at"],
        postgresql_where=sa.text("next_session_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_listings_next_session_at", table_name="listings")
    op.drop_index("ix_listings_market_state_next_session", table_name="listings")
    for trigger in ("listing_seats_on_delete", "listing_seats_on_insert", "listing_seats_on_update"):
        op.execute(f"DROP TRIGGER {trigger} ON listing_sessions")
    op.execute("DROP FUNCTION listing_sessions_added_or_removed()")
    op.execute("DROP FUNCTION listing_session_changed()")
    op.execute("DROP FUNCTION refresh_listing_seats(integer[])")
    op.drop_column("listings", "seats_open_until")
    op.drop_column("listings", "next_session_at")
