"""order_events partitioned by `archived`: an archived order's events leave the hot indexes (issue #17 item 5)

The table is rebuilt: the old one steps aside, a table partitioned BY LIST (archived) takes its name with two
partitions (order_events_hot, order_events_archive), every row is copied (the events of orders already archived
straight to the archive partition), then the keys, indexes and foreign keys are made (after the copy: one pass
each rather than a check per row), the id sequence passes to the new table with its value, and the old table is
dropped. The table is locked (ACCESS EXCLUSIVE) for the whole migration: a deployment upgrades with the app
stopped, as for every migration here. Downgrade does the reverse (every event back in one plain table).

Revision ID: 2026_11_30_eventparts
Revises: 2026_11_30_waitlist_lines
Create Date: 2026-11-30 00:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_30_eventparts"
down_revision: str | None = "2026_11_30_waitlist_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "id, order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data"
_DEFINITION = """
    id integer NOT NULL DEFAULT nextval('order_events_id_seq'::regclass),
    order_id integer NOT NULL,
    market_id integer NOT NULL,
    at timestamp with time zone NOT NULL DEFAULT now(),
    actor_id integer,
    actor_role varchar(20) NOT NULL,
    action varchar(30) NOT NULL,
    from_state varchar(20),
    to_state varchar(20) NOT NULL,
    reason text NOT NULL,
    data jsonb NOT NULL"""
_INDEXES = {
    "ix_order_events_order_id": "order_id",
    "ix_order_events_market_id": "market_id",
    "ix_order_events_market_to_state_order": "market_id, to_state, order_id",
}
_FOREIGN_KEYS = {
    "fk_order_events_order_id_orders": "(order_id) REFERENCES orders (id)",
    "fk_order_events_market_id_markets": "(market_id) REFERENCES markets (id)",
    "fk_order_events_actor_id_users": "(actor_id) REFERENCES users (id)",
}


def _step_aside(new_name: str) -> None:
    """Rename the current table and its primary key; drop its other indexes (their names are the new table's)."""
    op.execute(f"ALTER TABLE order_events RENAME TO {new_name}")
    op.execute(f"ALTER INDEX pk_order_events RENAME TO pk_{new_name}")
    for name in _INDEXES:
        op.execute(f"DROP INDEX {name}")


def _finish(primary_key: str, old: str) -> None:
    """Keys, indexes and foreign keys of the filled `order_events`; the sequence passes to it; `old` goes."""
    op.execute(f"ALTER TABLE order_events ADD CONSTRAINT pk_order_events PRIMARY KEY ({primary_key})")
    for name, columns in _INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON order_events ({columns})")
    for name, reference in _FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE order_events ADD CONSTRAINT {name} FOREIGN KEY {reference}")
    # the sequence keeps its value; owned by the new column it is not dropped with the old table
    op.execute("ALTER SEQUENCE order_events_id_seq OWNED BY order_events.id")
    op.execute(f"DROP TABLE {old}")
    op.execute("ANALYZE order_events")


def upgrade() -> None:
    _step_aside("order_events_unpartitioned")
    op.execute(
        f"CREATE TABLE order_events ({_DEFINITION},\n    archived boolean NOT NULL DEFAULT false\n)"
        " PARTITION BY LIST (archived)"
    )
    op.execute("CREATE TABLE order_events_hot PARTITION OF order_events FOR VALUES IN (false)")
    op.execute("CREATE TABLE order_events_archive PARTITION OF order_events FOR VALUES IN (true)")
    # the events of orders archived before this migration go straight to the archive partition
    op.execute(
        f"INSERT INTO order_events ({_COLUMNS}, archived) "
        f"SELECT {', '.join('e.' + c for c in _COLUMNS.split(', '))}, coalesce(o.archived_at IS NOT NULL, false) "
        "FROM order_events_unpartitioned e LEFT JOIN orders o ON o.id = e.order_id ORDER BY e.id"
    )
    _finish("id, archived", "order_events_unpartitioned")


def downgrade() -> None:
    _step_aside("order_events_partitioned")
    op.execute(f"CREATE TABLE order_events ({_DEFINITION}\n)")
    op.execute(f"INSERT INTO order_events ({_COLUMNS}) SELECT {_COLUMNS} FROM order_events_partitioned ORDER BY id")
    _finish("id", "order_events_partitioned")
