from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import PictureFiles, created_at_field, json_field, market_fk, text_list_field, timestamp_field


class Station(SQLModel, table=True):
    """A union station for outdoor workers (工会驿站 / 户外劳动者服务站)."""

    __tablename__ = "stations"
    __table_args__ = (
        # The nearest-station query cuts a latitude band from this index, then the longitude band.
        sa.Index("ix_stations_market_lat_lon", "market_id", "lat", "lon"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    name: str = Field(sa_type=sa.String(100), nullable=False)
    address: str = Field(sa_type=sa.String(200), nullable=False)
    lat: float = Field(sa_type=sa.Float, nullable=False)
    lon: float = Field(sa_type=sa.Float, nullable=False)
    open_all_day: bool = Field(default=False, nullable=False)  # 24 小时
    facilities: list[str] = text_list_field()
    contact: str = Field(default="", sa_type=sa.String(100), nullable=False)
    # A keeper's word to visitors (站长公告), and a temporary closure: closed, whatever the hours, until then.
    notice: str = Field(default="", sa_type=sa.String(200), nullable=False, sa_column_kwargs={"server_default": ""})
    closed_until: datetime | None = timestamp_field()
    star_level: int | None = Field(default=None)  # from the last inspection (StationInspection)
    rating_avg: float | None = Field(default=None)
    rating_count: int = Field(default=0, nullable=False)
    archived_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class StationOpening(SQLModel, table=True):
    """Open on a weekday (0 = Monday) from `opens` to `closes`, minutes after local midnight."""

    __tablename__ = "station_openings"
    __table_args__ = (
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6 AND 0 <= opens AND opens < closes AND closes <= 1440", name="range"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", nullable=False, index=True)
    weekday: int = Field(nullable=False)
    opens: int = Field(nullable=False)
    closes: int = Field(nullable=False)


class StationInspection(SQLModel, table=True):
    """A star review (星级评定) by the union: the rubric's points, the level, who and why; the history."""

    __tablename__ = "station_inspections"

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", nullable=False, index=True)
    inspector_id: int | None = Field(default=None, foreign_key="users.id")
    points: dict = json_field()
    star_level: int = Field(nullable=False)
    note: str = Field(default="", sa_type=sa.String(500), nullable=False)
    created_at: datetime = created_at_field()


class StationVisit(SQLModel, table=True):
    """A member's check-in at a station (its QR code); counted per station, hour and group."""

    __tablename__ = "station_visits"
    __table_args__ = (sa.Index("ix_station_visits_station_at", "station_id", "visited_at"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    station_id: int = Field(foreign_key="stations.id", nullable=False)
    user_id: int = Field(foreign_key="users.id", nullable=False, index=True)
    groups: list[str] = text_list_field()  # the member's confirmed groups at the visit
    # One visit per member, station and hour: a second scan in the same hour is the same visit.
    hour_key: str = Field(sa_type=sa.String(60), unique=True, nullable=False)
    visited_at: datetime = created_at_field()


class StationReview(SQLModel, table=True):
    """A member's rating of a station, like a service's review; one per member and station (latest wins)."""

    __tablename__ = "station_reviews"
    __table_args__ = (sa.UniqueConstraint("station_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", nullable=False, index=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    stars: int = Field(nullable=False)
    comment: str = Field(default="", sa_type=sa.String(500), nullable=False)
    created_at: datetime = created_at_field()


class Landmark(SQLModel, table=True):
    """A named place of the market (a subdistrict centre, a square) a member may search from without
    sharing their location."""

    __tablename__ = "landmarks"
    __table_args__ = (sa.UniqueConstraint("market_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    name: str = Field(sa_type=sa.String(60), nullable=False)
    lat: float = Field(sa_type=sa.Float, nullable=False)
    lon: float = Field(sa_type=sa.Float, nullable=False)


class StationKeeper(SQLModel, table=True):
    """A station keeper (站长) of a station, given by a curator; the person holds the `keeper` role while
    they keep at least one station. Assignments and removals are audited."""

    __tablename__ = "station_keepers"
    __table_args__ = (sa.UniqueConstraint("station_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", nullable=False)
    user_id: int = Field(foreign_key="users.id", nullable=False, index=True)
    assigned_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()


class StationPhoto(PictureFiles, table=True):
    """A photo of a station, in the order its keeper or a curator set (`position`)."""

    __tablename__ = "station_photos"

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    station_id: int = Field(foreign_key="stations.id", nullable=False, index=True)
    created_at: datetime = created_at_field()
