"""Listings' search grams: Chinese characters and pairs, Latin words, in a GIN index

Revision ID: 2026_11_30_search_grams
Revises: 2026_11_29_language_notices
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "2026_11_30_search_grams"
down_revision = "2026_11_29_language_notices"
branch_labels = None
depends_on = None

# Immutable, so a stored generated column may use it; plain SQL, so the embedded PostgreSQL (no extensions)
# has it. A term is a substring of the text only if its every character pair (a lone character: itself) and
# every whole Latin word of it are among the text's grams (domain/search.py query_grams).
SEARCH_GRAMS = r"""
CREATE FUNCTION search_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM (
    SELECT substr(run.r, i, n) AS g
    FROM (SELECT m[1] AS r FROM regexp_matches(t, '([\u4e00-\u9fff]+)', 'g') AS m) AS run,
         generate_series(1, char_length(run.r)) AS i,
         (VALUES (1), (2)) AS len(n)
    WHERE i + n - 1 <= char_length(run.r)
    UNION ALL
    SELECT m[1] FROM regexp_matches(t, '([a-z0-9]+)', 'g') AS m
  ) AS grams
$$
"""


def upgrade() -> None:
    op.execute(SEARCH_GRAMS)
    op.add_column(
        "listings",
        sa.Column(
            "search_grams", ARRAY(sa.Text()), sa.Computed("search_grams(search_text)", persisted=True), nullable=False
        ),
    )
    # fastupdate off: listings change rarely, and a pending list (until autovacuum) makes the planner shun the index
    op.create_index(
        "ix_listings_search_grams",
        "listings",
        ["search_grams"],
        postgresql_using="gin",
        postgresql_with={"fastupdate": "off"},
    )


def downgrade() -> None:
    op.drop_index("ix_listings_search_grams", table_name="listings", postgresql_using="gin")
    op.drop_column("listings", "search_grams")
    op.execute("DROP FUNCTION search_grams(text)")
