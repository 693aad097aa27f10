"""Pictures of a listing: upload (checked, resized, EXIF dropped), remove, and the files behind them.

Files live under `data_dir/pictures`, named by the hash of their content, written before the row that
names them is committed: a rolled-back upload leaves an unnamed file (harmless, the same content gets
the same name), never a row without its file. A removed picture's files stay while another row names
them (the same picture on a relisted copy)."""

import asyncio
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import cache
from ..db import settings_of
from ..domain.listings import ListingState
from ..domain.pictures import MAX_PICTURES, Encoded, PictureRefused, process, valid_name
from ..errors import Conflict, InvalidInput, NotFound, TooLarge
from ..models import ListingPicture, User
from ..schemas.listings import PictureOut
from ..settings import Settings
from .listings import _owned

EDITABLE = (ListingState.draft, ListingState.submitted, ListingState.published, ListingState.paused)


def folder(settings: Settings) -> Path:
    return settings.data_dir / "pictures"


def out(picture: ListingPicture) -> PictureOut:
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


async def add(db: AsyncSession, user: User, listing_id: int, data: bytes) -> ListingPicture:
    settings = settings_of(db)
    listing = await _owned(db, user, listing_id)  # locked: two uploads at once count one after the other
    if listing.state not in EDITABLE:
        raise Conflict(f"This listing is {listing.state}; its pictures cannot be changed.")
    count = (await db.execute(sa.select(sa.func.count()).where(ListingPicture.listing_id == listing.id))).scalar_one()
    if count >= MAX_PICTURES:
        raise Conflict(f"A listing has at most {MAX_PICTURES} pictures: remove one first.", field="file")
    try:
        large, thumb = await asyncio.to_thread(process, data, settings.picture_max_bytes)
    except PictureRefused as refused:
        error = TooLarge if "too large" in str(refused) else InvalidInput
        raise error(str(refused), field="file") from None
    await asyncio.to_thread(_write, folder(settings), (large, thumb))
    picture = ListingPicture(
        market_id=listing.market_id,
        listing_id=listing.id,
        position=count,
        name=large.name,
        width=large.width,
        height=large.height,
        thumb_name=thumb.name,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )
    db.add(picture)
    await db.flush()
    cache.menu_changed(db, listing.market_id)
    return picture


async def remove(db: AsyncSession, user: User, listing_id: int, picture_id: int) -> None:
    settings = settings_of(db)
    listing = await _owned(db, user, listing_id)
    picture = await db.get(ListingPicture, picture_id, with_for_update=True)
    if picture is None or picture.listing_id != listing.id:
        raise NotFound("No such picture.")
    await db.delete(picture)
    await db.flush()
    cache.menu_changed(db, listing.market_id)
    names = {picture.name, picture.thumb_name}
    still = await db.execute(
        sa.select(ListingPicture.name, ListingPicture.thumb_name).where(
            sa.or_(ListingPicture.name.in_(names), ListingPicture.thumb_name.in_(names))
        )
    )
    names -= {n for row in still.all() for n in row}
    # Unlinked once the removal is sure to commit: the row is gone in this transaction, which the caller
    # commits right after; a file missing behind a rolled-back removal would show as a broken picture.
    db.info.setdefault("after_commit_unlink", []).extend(folder(settings) / n for n in names)


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
