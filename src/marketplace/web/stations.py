"""Union stations (工会驿站): the nearest open ones for anyone, visits and ratings for members, the record,
star reviews, keepers and the list for curators, and the keeper's (站长) own stations with their photos."""

from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody, QueryParameter

from ..auth import for_roles
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..domain.stations import Facility, Opening
from ..schemas.common import Flag, Page, PictureOut, Reason
from ..schemas.stations import (
    DayCount,
    DeskStationOut,
    GroupCount,
    HourCount,
    InspectionIn,
    InspectionOut,
    KeeperFiguresOut,
    KeeperIn,
    KeeperOut,
    KeeperStationIn,
    NearbyOut,
    NearbyPage,
    OpeningIO,
    PhotoOrderIn,
    StationIn,
    StationOut,
    StationReviewIn,
    StationReviewOut,
    VisitIn,
    VisitOut,
)
from ..services import desk_lists, pictures, station_keepers, stations
from .bodies import MAX_UPLOAD_BODY_BYTES, UPLOADS
from .common import CurrentUser, Db, IdParam, Limit, MarketId, Offset, SearchText
from .pictures import PictureUpload

Radius = Annotated[int, QueryParameter(ge=100, le=stations.MAX_RADIUS_M)]
HowMany = Annotated[int, QueryParameter(ge=1, le=50)]


def station_out(station, openings: list[Opening], photos: list[PictureOut] = ()) -> dict:
    return {
        **{k: getattr(station, k) for k in StationOut.model_fields if k not in ("openings", "photos")},
        "openings": [OpeningIO(weekday=o.weekday, opens=o.opens, closes=o.closes) for o in openings],
        "photos": list(photos),
    }


def _input(data: StationIn) -> stations.StationInput:
    return stations.StationInput(
        name=data.name,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        open_all_day=data.open_all_day,
        openings=[Opening(o.weekday, o.opens, o.closes) for o in data.openings],
        facilities=[f.value for f in data.facilities],
        contact=data.contact,
    )


def _review_out(station, review) -> StationReviewOut:
    return StationReviewOut(
        station_id=station.id,
        stars=review.stars,
        comment=review.comment,
        created_at=review.created_at,
        rating_avg=station.rating_avg,
        rating_count=station.rating_count,
    )


class StationController(Controller):
    path = "/api/v1/stations"
    tags = ["stations"]

    @get("/nearest")
    async def nearest(
        self,
        db: Db,
        market_id: MarketId,
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
        facility: Annotated[list[Facility] | None, QueryParameter(max_items=len(Facility))] = None,
        open_now: FromQuery[Flag] = False,
        radius_m: Radius = stations.DEFAULT_RADIUS_M,
        limit: HowMany = 10,
    ) -> NearbyPage:
        found = await stations.nearest(
            db,
            market_id,
            lat,
            lon,
            facilities=[f.value for f in facility or []],
            open_only=open_now,
            radius_m=radius_m,
            limit=limit,
        )
        items = [
            NearbyOut(
                **station_out(n.station, n.openings),
                metres=round(n.metres),
                walking_minutes=n.minutes,
                open_now=n.open_now,
                next_open=n.next_open,
            )
            for n in found
        ]
        return NearbyPage(items=items, radius_m=radius_m)

    @get("/{station_id:int}")
    async def one(self, station_id: IdParam, db: Db, market_id: MarketId) -> StationOut:
        found = await stations.page(db, market_id, station_id)
        return StationOut(**station_out(found.station, found.openings, found.photos))

    @post("/{station_id:int}/visits", status_code=200, opt=for_roles(Role.member))
    async def visit(self, station_id: IdParam, data: JSONBody[VisitIn], user: CurrentUser, db: Db) -> VisitOut:
        found, new = await stations.visit(db, user, station_id, data.code)
        return VisitOut(station_id=station_id, visited_at=found.visited_at, new=new)

    @put("/{station_id:int}/review", opt=for_roles(Role.member))
    async def rate(
        self, station_id: IdParam, data: JSONBody[StationReviewIn], user: CurrentUser, db: Db
    ) -> StationReviewOut:
        review = await stations.rate(db, user, station_id, data.stars, data.comment)
        return _review_out(await stations.station_of(db, user.market_id, station_id), review)


class StationAdminController(Controller):
    path = "/api/v1/admin/stations"
    tags = ["admin"]

    @post("/", opt=for_roles(Role.curator))
    async def create(self, data: JSONBody[StationIn], user: CurrentUser, db: Db) -> StationOut:
        station = await stations.save(db, user, _input(data))
        return StationOut(**station_out(station, _input(data).openings if not data.open_all_day else []))

    @put("/{station_id:int}", opt=for_roles(Role.curator))
    async def change(self, station_id: IdParam, data: JSONBody[StationIn], user: CurrentUser, db: Db) -> StationOut:
        station = await stations.save(db, user, _input(data), station_id)
        return StationOut(**station_out(station, _input(data).openings if not data.open_all_day else []))

    @delete("/{station_id:int}", status_code=204, opt=for_roles(Role.curator))
    async def archive(self, station_id: IdParam, user: CurrentUser, db: Db, reason: FromQuery[Reason]) -> None:
        await stations.archive(db, user, station_id, reason)

    @post("/{station_id:int}/inspections", opt=for_roles(Role.curator, Role.operator))
    async def inspect(
        self, station_id: IdParam, data: JSONBody[InspectionIn], user: CurrentUser, db: Db
    ) -> InspectionOut:
        found = await stations.inspect(db, user, station_id, data.inspection, data.note)
        return InspectionOut.model_validate(found, from_attributes=True)

    @get("/", opt=for_roles(Role.curator, Role.operator))
    async def listed(
        self,
        user: CurrentUser,
        db: Db,
        q: FromQuery[SearchText] = None,
        area: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
        stars: Annotated[int | None, QueryParameter(ge=0, le=5)] = None,
        open_now: FromQuery[Flag | None] = None,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> Page[DeskStationOut]:
        """The market's stations by name: `q` a word of the name or address, `area` a place's id (the stations
        nearest to it), `stars` a star level (0: not reviewed yet), `open_now` open or closed now."""
        found = await desk_lists.stations(
            db, user.market_id, q=q, area=area, stars=stars, open_now=open_now, limit=limit, offset=offset
        )
        return Page[DeskStationOut](items=[DeskStationOut(**vars(s)) for s in found.items], total=found.total)

    @get("/{station_id:int}/keepers", opt=for_roles(Role.curator, Role.operator))
    async def keepers(self, station_id: IdParam, user: CurrentUser, db: Db) -> list[KeeperOut]:
        await stations.station_of(db, user.market_id, station_id)
        return [_keeper_out(k) for k in await station_keepers.keepers_of(db, station_id)]

    @post("/{station_id:int}/keepers", opt=for_roles(Role.curator))
    async def assign(self, station_id: IdParam, data: JSONBody[KeeperIn], user: CurrentUser, db: Db) -> KeeperOut:
        """Make a person of the market a keeper (站长) of the station; they get the keeper role."""
        person = await station_keepers.assign(db, user, station_id, user_id=data.user_id, phone=data.phone)
        found = next(k for k in await station_keepers.keepers_of(db, station_id) if k.user_id == person.id)
        return _keeper_out(found)

    @delete("/{station_id:int}/keepers/{user_id:int}", status_code=204, opt=for_roles(Role.curator))
    async def unassign(self, station_id: IdParam, user_id: IdParam, user: CurrentUser, db: Db) -> None:
        await station_keepers.unassign(db, user, station_id, user_id)


def _keeper_out(keeper: station_keepers.Keeper) -> KeeperOut:
    return KeeperOut(user_id=keeper.user_id, name=keeper.name, phone=mask_phone(keeper.phone), since=keeper.since)


class KeeperController(Controller):
    """我的驿站: the stations a keeper (站长) keeps; a curator may use it for any station of the market."""

    path = "/api/v1/keeper/stations"
    tags = ["stations"]
    opt = for_roles(Role.keeper, Role.curator)

    @get("/")
    async def mine(self, user: CurrentUser, db: Db) -> Page[StationOut]:
        """The stations the caller keeps (a curator: those a curator gave them too, usually none)."""
        kept = await station_keepers.stations_of(db, user)
        items = [StationOut(**station_out(s, await stations.openings_of(db, s.id))) for s in kept]
        return Page[StationOut](items=items, total=len(items))

    @put("/{station_id:int}")
    async def change(
        self, station_id: IdParam, data: JSONBody[KeeperStationIn], user: CurrentUser, db: Db
    ) -> StationOut:
        """Hours, facilities, contact, notice and a temporary closure; 403 for a station the caller does not keep."""
        edit = station_keepers.KeeperEdit(
            open_all_day=data.open_all_day,
            openings=[Opening(o.weekday, o.opens, o.closes) for o in data.openings],
            facilities=[f.value for f in data.facilities],
            contact=data.contact,
            notice=data.notice,
            closed_until=data.closed_until,
        )
        station = await station_keepers.update(db, user, station_id, edit)
        found = await stations.page(db, user.market_id, station.id)
        return StationOut(**station_out(found.station, found.openings, found.photos))

    @get("/{station_id:int}/figures")
    async def figures(self, station_id: IdParam, user: CurrentUser, db: Db) -> KeeperFiguresOut:
        """Visits of the last 30 days per day, hour of day and group, and the members' latest ratings."""
        station = await station_keepers.kept(db, user, station_id)
        figures = await stations.visit_figures(db, user.market_id, station_ids=[station.id])
        found = await stations.page(db, user.market_id, station.id)
        return KeeperFiguresOut(
            station_id=station.id,
            visits=figures.total,
            by_day=[DayCount(day=d, visits=n) for d, n in figures.by_day],
            by_hour=[HourCount(hour=h, visits=n) for h, n in figures.by_hour],
            by_group=[GroupCount(group=g, visits=n) for g, n in figures.by_group],
            rating_avg=station.rating_avg,
            rating_count=station.rating_count,
            ratings=[_review_out(station, r) for r in found.reviews],
        )


class StationPhotoController(Controller):
    """A station's photos: its keeper's or a curator's."""

    path = "/api/v1/stations/{station_id:int}/photos"
    tags = ["stations"]
    opt = for_roles(Role.keeper, Role.curator)

    @post("/", opt=UPLOADS, request_max_body_size=MAX_UPLOAD_BODY_BYTES)
    async def upload(
        self,
        station_id: IdParam,
        data: Annotated[PictureUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        user: CurrentUser,
        db: Db,
    ) -> PictureOut:
        """Add a photo (at most 6 a station), last in the order: resized to 1280 px and a 400 px thumbnail,
        EXIF dropped. 400 when it is not a JPEG, PNG or WebP picture, 413 when too large, 409 when full."""
        content = await data.file.read()
        return pictures.out(await station_keepers.add_photo(db, user, station_id, content))

    @put("/order")
    async def order(
        self, station_id: IdParam, data: JSONBody[PhotoOrderIn], user: CurrentUser, db: Db
    ) -> list[PictureOut]:
        """The photos in a new order (every one of them once, the first shown first)."""
        return [pictures.out(p) for p in await station_keepers.order_photos(db, user, station_id, data.ids)]

    @delete("/{photo_id:int}", status_code=204)
    async def remove(self, station_id: IdParam, photo_id: IdParam, user: CurrentUser, db: Db) -> None:
        await station_keepers.remove_photo(db, user, station_id, photo_id)
