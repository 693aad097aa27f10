"""A district's menu read part by part: search grams keyed by market, and the listings shared below in order

Revision ID: 2026_11_30_menu_grams
Revises: 2026_11_30_eventparts

`ix_listings_search_grams` finds a term's listings in every market of the deployment (at 100×, a district's
search read 400–700 listings of 30 markets to keep its 80). This index holds, for each published listing,
its grams prefixed with its market ("12:书法") and, when it is shared below, once more with ">" ("12>书法"):
a menu's search asks its own market's keys and each market above it for its shared keys (services/menu.py),
and reads only its own matches. Exactness stays with the query's own conditions (LIKE on the text, the
market, the state); the keys only narrow.

`ix_listings_shared_below` (partial: the listings shared below, a tenth of a province's or a city's): the
menu reads each market above in its own order of publication and counts its shared listings from this index
alone, instead of reading every listing of the province and the city (services/menu._menu_parts).
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_30_menu_grams"
down_revision = "2026_11_30_eventparts"
branch_labels = None
depends_on = None

# Immutable (an index expression must be); plain SQL for the embedded PostgreSQL (no extensions). Not inlined
# by the planner (its body has subqueries), so the query's call matches the index's expression as written.
# COST: computing a listing's keys (a hundred strings) is what the index saves; declared dear, the planner
# reads the index rather than computing them for each row of another index's range (a generic plan did).
MENU_SEARCH_GRAMS = r"""
CREATE FUNCTION menu_search_grams(market_id integer, state text, shared_below boolean, grams text[])
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $$
  SELECT CASE WHEN state = 'published' THEN
    ARRAY(SELECT market_id || ':' || g FROM unnest(grams) AS g)
    || CASE WHEN shared_below THEN ARRAY(SELECT market_id || '>' || g FROM unnest(grams) AS g)
       ELSE '{}'::text[] END
  ELSE '{}'::text[] END
$$
"""


def upgrade() -> None:
    op.execute(MENU_SEARCH_GRAMS)
    # fastupdate off, as ix_listings_search_grams: listings change rarely, and a pending list makes the
    # planner shun the index until autovacuum
    op.execute(
        "CREATE INDEX ix_listings_menu_search_grams ON listings USING gin"
        " (menu_search_grams(market_id, state, shared_below, search_grams)) WITH (fastupdate = off)"
    )
    op.create_index(
        "ix_listings_shared_below",
        "listings",
        ["market_id", "state", sa.text("published_at DESC NULLS LAST"), sa.text("id DESC")],
        postgresql_where=sa.text("shared_below"),
    )
    op.execute("ANALYZE listings")  # the expression's statistics, for the planner to choose the index at once


def downgrade() -> None:
    op.drop_index("ix_listings_shared_below", table_name="listings")
    op.execute("DROP INDEX ix_listings_menu_search_grams")
    op.execute("DROP FUNCTION menu_search_grams(integer, text, boolean, text[])")
