"""Union stations (工会驿站): the nearest open ones for anyone, visits and ratings for members, the record
and star reviews for curators."""

from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.params import FromQuery, JSONBody, QueryParameter

from ..auth import for_roles
from ..domain.roles import Role
from ..domain.stations import Facility, Opening
from ..schemas.common import Flag, Reason
from ..schemas.stations import (
    InspectionIn,
    InspectionOut,
    NearbyOut,
    NearbyPage,
    OpeningIO,
    StationIn,
    StationOut,
    StationReviewIn,
    StationReviewOut,
    VisitIn,
    VisitOut,
)
from ..services import stations
from .common import CurrentUser, Db, IdParam, MarketId

Radius = Annotated[int, QueryParameter(ge=100, le=stations.MAX_RADIUS_M)]
HowMany = Annotated[int, QueryParameter(ge=1, le=50)]


def station_out(station, openings: list[Opening]) -> dict:
    return {
        **{k: getattr(station, k) for k in StationOut.model_fields if k != "openings"},
        "openings": [OpeningIO(weekday=o.weekday, opens=o.opens, closes=o.closes) for o in openings],
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
        return StationOut(**station_out(found.station, found.openings))

    @post("/{station_id:int}/visits", status_code=200, opt=for_roles(Role.member))
    async def visit(self, station_id: IdParam, data: JSONBody[VisitIn], user: CurrentUser, db: Db) -> VisitOut:
        found, new = await stations.visit(db, user, station_id, data.code)
        return VisitOut(station_id=station_id, visited_at=found.visited_at, new=new)

    @put("/{station_id:int}/review", opt=for_roles(Role.member))
    async def rate(
        self, station_id: IdParam, data: JSONBody[StationReviewIn], user: CurrentUser, db: Db
    ) -> StationReviewOut:
        review = await stations.rate(db, user, station_id, data.stars, data.comment)
        station = await stations.station_of(db, user.market_id, station_id)
        return StationReviewOut(
            station_id=station_id,
            stars=review.stars,
            comment=review.comment,
            created_at=review.created_at,
            rating_avg=station.rating_avg,
            rating_count=station.rating_count,
        )


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
