"""Station keepers (站长) and a station's photos.

A curator gives a person of the market one or more stations to keep (`station_keepers`, audited); the
person holds the `keeper` role while they keep at least one. A keeper changes their stations' hours,
facilities, contact, notice and temporary closure and their photos, and sees their visits and ratings —
never another station, never the star level (the union's review). A curator may do all of it for any
station of the market."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import stations as rules
from ..domain.bounds import HORIZON
from ..domain.phones import normalize_phone
from ..domain.pictures import MAX_PICTURES
from ..domain.roles import Role
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..models import Station, StationKeeper, StationPhoto, User
from ..models.base import utcnow
from . import audit, pictures, stations

MAX_CLOSURE = HORIZON  # as far ahead as anything of the market is planned (domain/bounds.py), the API's bound


async def kept(db: AsyncSession, user: User, station_id: int, *, lock: bool = False) -> Station:
    """The station, when `user` may keep it: a curator of its market, or one of its keepers (403 for a
    keeper's other stations; 404 for a station not in the market)."""
    station = await db.get(Station, station_id, with_for_update=lock)
    if station is None or station.market_id != user.market_id or station.archived_at is not None:
        raise NotFound("No such station.")
    if Role.curator in user.roles:
        return station
    keeps = await db.scalar(
        sa.select(StationKeeper.id).where(StationKeeper.station_id == station_id, StationKeeper.user_id == user.id)
    )
    if keeps is None:
        raise Forbidden("You do not keep this station: a keeper changes only the stations a curator gave them.")
    return station


async def stations_of(db: AsyncSession, user: User) -> list[Station]:
    """The stations `user` keeps, by name."""
    return list(
        (
            await db.execute(
                sa.select(Station)
                .join(StationKeeper, StationKeeper.station_id == Station.id)
                .where(StationKeeper.user_id == user.id, Station.archived_at.is_(None))
                .order_by(Station.name, Station.id)
            )
        ).scalars()
    )


@dataclass
class Keeper:
    user_id: int
    name: str
    phone: str
    since: datetime


async def keepers_of(db: AsyncSession, station_id: int) -> list[Keeper]:
    rows = await db.execute(
        sa.select(User.id, User.name, User.phone, StationKeeper.created_at)
        .join(StationKeeper, StationKeeper.user_id == User.id)
        .where(StationKeeper.station_id == station_id)
        .order_by(StationKeeper.created_at, User.id)
    )
    return [Keeper(*row) for row in rows.all()]


async def _person(db: AsyncSession, market_id: int, user_id: int | None, phone: str | None) -> User:
    if user_id is None:
        number = normalize_phone(phone or "")
        if number is None:
            raise InvalidInput("Enter an 11-digit mainland China mobile number, e.g. 13812345678.", field="phone")
        person = await db.scalar(sa.select(User).where(User.phone == number).with_for_update())
    else:
        person = await db.get(User, user_id, with_for_update=True)
    if person is None or person.market_id != market_id:
        raise NotFound("No account with this phone number in this market.", field="phone" if user_id is None else None)
    return person


async def assign(
    db: AsyncSession, curator: User, station_id: int, *, user_id: int | None = None, phone: str | None = None
) -> User:
    """Make a person of the market a keeper of the station (by id, or by their phone number); audited.
    Giving the same station again changes nothing."""
    station = await stations.station_of(db, curator.market_id, station_id)
    person = await _person(db, curator.market_id, user_id, phone)
    if not person.is_active:
        raise Conflict("This account is deactivated: reactivate it first.", field="phone")
    made = await db.scalar(
        insert(StationKeeper)
        .values(station_id=station.id, user_id=person.id, assigned_by=curator.id)
        .on_conflict_do_nothing(index_elements=["station_id", "user_id"])
        .returning(StationKeeper.id)
    )
    if made is not None:
        if Role.keeper not in person.roles:
            person.roles = sorted({*person.roles, Role.keeper.value})
            person.updated_at = utcnow()
        await audit.record(db, curator, "assign_keeper", "station", station.id, user_id=person.id, name=person.name)
    return person


async def unassign(db: AsyncSession, curator: User, station_id: int, user_id: int) -> None:
    """The person keeps the station no more; without a station left they lose the keeper role. Audited."""
    station = await stations.station_of(db, curator.market_id, station_id)
    person = await db.get(User, user_id, with_for_update=True)
    gone = await db.scalar(
        sa.delete(StationKeeper)
        .where(StationKeeper.station_id == station.id, StationKeeper.user_id == user_id)
        .returning(StationKeeper.id)
    )
    if gone is None or person is None:
        raise NotFound("This person does not keep this station.")
    left = await db.scalar(sa.select(sa.func.count()).where(StationKeeper.user_id == user_id))
    if not left and Role.keeper in person.roles:
        person.roles = [r for r in person.roles if r != Role.keeper]
        person.updated_at = utcnow()
    await audit.record(db, curator, "remove_keeper", "station", station.id, user_id=person.id, name=person.name)


@dataclass
class KeeperEdit:
    """What a keeper changes of their station (not its name, place or star level)."""

    open_all_day: bool = False
    openings: list[rules.Opening] = field(default_factory=list)
    facilities: list[str] = field(default_factory=list)
    contact: str = ""
    notice: str = ""
    closed_until: datetime | None = None


async def update(db: AsyncSession, user: User, station_id: int, data: KeeperEdit) -> Station:
    """A keeper's (or a curator's) change of the station's hours, facilities, contact, notice and closure."""
    station = await kept(db, user, station_id, lock=True)
    if data.closed_until is not None:
        now = utcnow()
        if data.closed_until <= now:
            raise InvalidInput("A temporary closure ends at a time still to come.", field="closed_until")
        if data.closed_until > now + MAX_CLOSURE:
            raise InvalidInput("A temporary closure ends within two years.", field="closed_until")
    whole = stations.StationInput(
        name=station.name,
        address=station.address,
        lat=station.lat,
        lon=station.lon,
        open_all_day=data.open_all_day,
        openings=data.openings,
        facilities=data.facilities,
        contact=data.contact,
    )
    await stations.save(db, user, whole, station.id)
    notice = data.notice.strip()
    if (notice, data.closed_until) != (station.notice, station.closed_until):
        station.notice, station.closed_until = notice, data.closed_until
        await audit.record(
            db,
            user,
            "station_notice",
            "station",
            station.id,
            notice=notice,
            closed_until=data.closed_until.isoformat() if data.closed_until else None,
        )
    await db.flush()
    return station


# Photos ------------------------------------------------------------------------------------------


async def _photos(db: AsyncSession, station_id: int) -> list[StationPhoto]:
    """The station's photos, locked for a change of their order."""
    return list((await db.execute(stations.photos_query(station_id).with_for_update())).scalars())


async def add_photo(db: AsyncSession, user: User, station_id: int, data: bytes) -> StationPhoto:
    """A photo of the station (its keeper's phone camera, or a curator's), last in the order."""
    station = await kept(db, user, station_id, lock=True)  # two uploads at once count one after the other
    count = len(await _photos(db, station.id))
    if count >= MAX_PICTURES:
        raise Conflict(f"A station has at most {MAX_PICTURES} photos: remove one first.", field="file")
    photo = StationPhoto(
        market_id=station.market_id, station_id=station.id, position=count, **await pictures.store(db, data)
    )
    db.add(photo)
    await db.flush()
    return photo


async def remove_photo(db: AsyncSession, user: User, station_id: int, photo_id: int) -> None:
    station = await kept(db, user, station_id, lock=True)
    photos = await _photos(db, station.id)
    photo = next((p for p in photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound("No such photo.")
    await pictures.forget(db, photo)
    pictures.reordered([p for p in photos if p is not photo], [p.id for p in photos if p is not photo])


async def order_photos(db: AsyncSession, user: User, station_id: int, ids: list[int]) -> list[StationPhoto]:
    """The photos in a new order: `ids` names each of them once, the first shown first."""
    station = await kept(db, user, station_id, lock=True)
    photos = await _photos(db, station.id)
    pictures.reordered(photos, ids)
    await db.flush()
    return sorted(photos, key=lambda p: p.position)


async def move_photo(db: AsyncSession, user: User, station_id: int, photo_id: int, step: int) -> None:
    """One place earlier (step −1) or later (+1): the console's buttons."""
    await kept(db, user, station_id, lock=True)
    ids = [p.id for p in await _photos(db, station_id)]
    if photo_id not in ids:
        raise NotFound("No such photo.")
    at = ids.index(photo_id)
    to = min(max(at + step, 0), len(ids) - 1)
    ids.insert(to, ids.pop(at))
    await order_photos(db, user, station_id, ids)
