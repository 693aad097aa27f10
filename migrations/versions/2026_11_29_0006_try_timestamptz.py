"""a SQL function reading a time out of JSON text without failing the query

Scans and the desk's stuck list compute when an order's service ends from its arrangement's
`starts_at` (JSON text). A cast of an unreadable value would fail the whole statement, so one odd row
would hold up every other order; `try_timestamptz` reads it as NULL instead (PostgreSQL 15 has no
`pg_input_is_valid`).

Revision ID: 2026_11_29_0006
Revises: 2026_11_29_0005
Create Date: 2026-11-29 15:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_29_0006"
down_revision: str | None = "2026_11_29_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
CREATE FUNCTION try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$
"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION try_timestamptz(text)")
