"""try_timestamptz is PARALLEL UNSAFE: its EXCEPTION block opens a subtransaction

Found by bench/scale.py at 100× the demo data: with enough orders the planner runs the desk's order
lists in parallel, and every call then fails with "cannot start subtransactions during a parallel
operation" (a 500). PostgreSQL requires a function that establishes an EXCEPTION block to be marked
PARALLEL UNSAFE; the statements that call it simply run without parallel workers.

Revision ID: 2026_11_30_scale
Revises: 2026_11_30_stationkeeper
Create Date: 2026-11-30 00:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_30_scale"
down_revision: str | None = "2026_11_30_stationkeeper"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER FUNCTION try_timestamptz(text) PARALLEL UNSAFE")


def downgrade() -> None:
    op.execute("ALTER FUNCTION try_timestamptz(text) PARALLEL SAFE")
