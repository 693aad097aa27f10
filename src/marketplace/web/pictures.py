"""Listing pictures over the API (upload, remove) and the picture files themselves.

A file's name is the hash of its content, so its address never shows other bytes: it is cached for a
year by every browser and proxy (`immutable`), logged in or not."""

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import File

from ..errors import NotFound
from ..schemas.listings import PictureOut
from ..services import pictures
from .bodies import MAX_UPLOAD_BODY_BYTES, UPLOADS
from .common import CurrentUser, Db, IdParam

CACHING = "public, max-age=31536000, immutable"


@dataclass
class PictureUpload:
    """A JPEG, PNG or WebP picture (judged by its content), at most PICTURE_MAX_BYTES (5 MB by default)."""

    file: UploadFile


class ListingPictureController(Controller):
    path = "/api/v1/listings/{listing_id:int}/pictures"
    tags = ["catalogue"]

    @post("/", opt=UPLOADS, request_max_body_size=MAX_UPLOAD_BODY_BYTES)
    async def upload(
        self,
        listing_id: IdParam,
        data: Annotated[PictureUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        user: CurrentUser,
        db: Db,
    ) -> PictureOut:
        """Add a picture (owner or curator; at most 6 a listing): resized to 1280 px and a 400 px thumbnail,
        EXIF dropped. 400 when it is not a JPEG, PNG or WebP picture, 413 when too large, 409 when full."""
        content = await data.file.read()
        return pictures.out(await pictures.add(db, user, listing_id, content))

    @delete("/{picture_id:int}", status_code=204)
    async def remove(self, listing_id: IdParam, picture_id: IdParam, user: CurrentUser, db: Db) -> None:
        await pictures.remove(db, user, listing_id, picture_id)


@get("/pictures/{name:str}", include_in_schema=False, sync_to_thread=False)
def picture_file(request: Request, name: FromPath[str]) -> File:
    path = pictures.path_of(request.app.state.settings, name)
    if path is None:
        raise NotFound("No such picture.")
    return File(
        path=path, media_type="image/webp", headers={"Cache-Control": CACHING}, content_disposition_type="inline"
    )
