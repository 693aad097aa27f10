"""station keepers, station photos, a station's notice and temporary closure

Revision ID: 2026_11_30_stationkeeper
Revises: 2026_11_30_roster
Create Date: 2026-11-29 19:23:37.751364+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_30_stationkeeper"
down_revision: str | None = "2026_11_30_roster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "station_keepers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["assigned_by"], ["users.id"], name=op.f("fk_station_keepers_assigned_by_users")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_station_keepers_station_id_stations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_station_keepers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_keepers")),
        sa.UniqueConstraint("station_id", "user_id", name=op.f("uq_station_keepers_station_id")),
    )
    op.create_index(op.f("ix_station_keepers_user_id"), "station_keepers", ["user_id"], unique=False)
    op.create_table(
        "station_photos",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_name", sa.String(length=80), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_station_photos_market_id_markets")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_station_photos_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_photos")),
    )
    op.create_index(op.f("ix_station_photos_market_id"), "station_photos", ["market_id"], unique=False)
    op.create_index(op.f("ix_station_photos_station_id"), "station_photos", ["station_id"], unique=False)
    op.add_column("stations", sa.Column("notice", sa.String(length=200), server_default="", nullable=False))
    op.add_column("stations", sa.Column("closed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("stations", "closed_until")
    op.drop_column("stations", "notice")
    op.drop_index(op.f("ix_station_photos_station_id"), table_name="station_photos")
    op.drop_index(op.f("ix_station_photos_market_id"), table_name="station_photos")
    op.drop_table("station_photos")
    op.drop_index(op.f("ix_station_keepers_user_id"), table_name="station_keepers")
    op.drop_table("station_keepers")
