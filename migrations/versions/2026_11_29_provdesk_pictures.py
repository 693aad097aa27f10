"""listing_pictures: a few pictures per listing, files under the data folder named by content hash

Revision ID: 2026_11_29_provdesk_pictures
Revises: 2026_11_29_0009
Create Date: 2026-11-29 16:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_29_provdesk_pictures"
down_revision: str | None = "2026_11_29_checkin_orgs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_pictures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_name", sa.String(length=80), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_listing_pictures_listing_id_listings")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_listing_pictures_market_id_markets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_pictures")),
    )
    op.create_index(op.f("ix_listing_pictures_listing_id"), "listing_pictures", ["listing_id"], unique=False)
    op.create_index(op.f("ix_listing_pictures_market_id"), "listing_pictures", ["market_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_listing_pictures_market_id"), table_name="listing_pictures")
    op.drop_index(op.f("ix_listing_pictures_listing_id"), table_name="listing_pictures")
    op.drop_table("listing_pictures")
