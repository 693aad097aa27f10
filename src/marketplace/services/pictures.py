"""Pictures: upload (checked, resized, EXIF dropped), order, remove, and the files behind them — for a
listing (here) and for a station (`services/station_keepers.py`), each kind in its own table with the
columns of `models.base.PictureFiles`.

Files live under `data_dir/pictures`, named by the hash of their content, written before the row that
names them is committed: a rolled-back upload leaves an unnamed file (harmless, the same content gets
the same name), never a row without its file. A removed picture's files stay while another row of any
kind names them (the same picture on a relisted copy, or on a station too)."""

import asyncio
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import cache
from ..db import settings_of
from ..domain.listings import ListingState
from ..domain.pictures import MAX_PICTURES, Encoded, PictureRefused, process, valid_name
from ..errors import Conflict, InvalidInput, NotFound, TooLarge
from ..models import ListingPicture, StationPhoto, User
from ..models.base import PictureFiles
from ..schemas.common import PictureOut
from ..settings import Settings
from .listings import _owned

EDITABLE = (ListingState.draft, ListingState.submitted, ListingState.published, ListingState.paused)


def folder(settings: Settings) -> Path:
    return settings.data_dir / "pictures"


# Every table of pictures: a file is unlinked only when no row of any of them names it.
TABLES: tuple[type[PictureFiles], ...] = (ListingPicture, StationPhoto)


def out(picture: PictureFiles) -> PictureOut:
    return PictureOut(
        id=picture.id,
        url=f"/pictures/{picture.name}",
        width=picture.width,
        height=picture.height,
        thumb_url=f"/pictures/{picture.thumb_name}",
        thumb_width=picture.thumb_width,
        thumb_height=picture.thumb_height,
    )


def _write(directory: Path, files: tuple[Encoded, ...]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for file in files:
        target = directory / file.name
        if not target.exists():
            temporary = target.with_suffix(".part")
            temporary.write_bytes(file.data)
            temporary.replace(target)  # whole or not at all, for a reader at the same moment


async def store(db: AsyncSession, data: bytes) -> dict:
    """Judge an upload, make its large file and thumbnail and write them: the columns of `PictureFiles` for
    the row naming them. Refused with the field `file` (413 when too large, 400 otherwise)."""
    settings = settings_of(db)
    try:
        large, thumb = await asyncio.to_thread(process, data, settings.picture_max_bytes)
    except PictureRefused as refused:
        error = TooLarge if "too large" in str(refused) else InvalidInput
        raise error(str(refused), field="file") from None
    await asyncio.to_thread(_write, folder(settings), (large, thumb))
    return {
        "name": large.name,
        "width": large.width,
        "height": large.height,
        "thumb_name": thumb.name,
        "thumb_width": thumb.width,
        "thumb_height": thumb.height,
    }


async def add(db: AsyncSession, user: User, listing_id: int, data: bytes) -> ListingPicture:
    listing = await _owned(db, user, listing_id)  # locked: two uploads at once count one after the other
    if listing.state not in EDITABLE:
        raise Conflict(f"This listing is {listing.state}; its pictures cannot be changed.")
    count = (await db.execute(sa.select(sa.func.count()).where(ListingPicture.listing_id == listing.id))).scalar_one()
    if count >= MAX_PICTURES:
        raise Conflict(f"A listing has at most {MAX_PICTURES} pictures: remove one first.", field="file")
    picture = ListingPicture(
        market_id=listing.market_id, listing_id=listing.id, position=count, **await store(db, data)
    )
    db.add(picture)
    await db.flush()
    cache.menu_changed(db, listing.market_id)
    return picture


async def remove(db: AsyncSession, user: User, listing_id: int, picture_id: int) -> None:
    listing = await _owned(db, user, listing_id)
    picture = await db.get(ListingPicture, picture_id, with_for_update=True)
    if picture is None or picture.listing_id != listing.id:
        raise NotFound("No such picture.")
    await forget(db, picture)
    cache.menu_changed(db, listing.market_id)


async def forget(db: AsyncSession, picture: PictureFiles) -> None:
    """Delete a picture's row; its files go after the commit unless a row of any kind still names them."""
    await db.delete(picture)
    await db.flush()
    names = {picture.name, picture.thumb_name}
    for table in TABLES:
        still = await db.execute(
            sa.select(table.name, table.thumb_name).where(sa.or_(table.name.in_(names), table.thumb_name.in_(names)))
        )
        names -= {n for row in still.all() for n in row}
    # Unlinked once the removal is sure to commit: the row is gone in this transaction, which the caller
    # commits right after; a file missing behind a rolled-back removal would show as a broken picture.
    db.info.setdefault("after_commit_unlink", []).extend(folder(settings_of(db)) / n for n in names)


def reordered(pictures: list[PictureFiles], ids: list[int]) -> None:
    """Number the pictures in the order `ids` gives (each of them exactly once), else refused on `ids`."""
    if sorted(ids) != sorted(p.id for p in pictures):
        raise InvalidInput("Give every picture exactly once, in the new order.", field="ids")
    by_id = {p.id: p for p in pictures}
    for position, picture_id in enumerate(ids):
        by_id[picture_id].position = position


async def of_listings(db: AsyncSession, listing_ids: list[int]) -> dict[int, list[PictureOut]]:
    """Each listing's pictures in their order (for the listing page and the cards)."""
    if not listing_ids:
        return {}
    rows = await db.execute(
        sa.select(ListingPicture)
        .where(ListingPicture.listing_id.in_(listing_ids))
        .order_by(ListingPicture.listing_id, ListingPicture.position, ListingPicture.id)
    )
    found: dict[int, list[PictureOut]] = {}
    for picture in rows.scalars():
        found.setdefault(picture.listing_id, []).append(out(picture))
    return found


def path_of(settings: Settings, name: str) -> Path | None:
    """The file behind a picture address, or None (a name that is not ours, or no such file)."""
    if not valid_name(name):
        return None
    path = folder(settings) / name
    return path if path.is_file() else None
