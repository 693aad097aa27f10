"""免申即享 proactive offers: a curator's campaigns (reserve places, offer them to groups, watch the figures)
and a member's offers (accept or decline in one tap)."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from ..auth import for_roles
from ..domain.campaigns import CampaignState
from ..domain.roles import Role
from ..schemas.campaigns import CampaignCancelIn, CampaignIn, CampaignOfferRow, CampaignOut, MemberOfferOut
from ..schemas.common import Page
from ..services import campaigns
from .common import CurrentUser, Db, IdParam, Limit, Offset


class CampaignController(Controller):
    path = "/api/v1/admin/campaigns"
    tags = ["admin"]

    @post("/", opt=for_roles(Role.curator))
    async def create(self, data: JSONBody[CampaignIn], user: CurrentUser, db: Db) -> CampaignOut:
        """A draft campaign: `places` seats of a session, or of a benefit, for members of `groups`."""
        return await campaigns.out(db, await campaigns.create(db, user, data))

    @get("/", opt=for_roles(Role.curator))
    async def list_campaigns(
        self,
        user: CurrentUser,
        db: Db,
        campaign_state: Annotated[CampaignState | None, QueryParameter(name="state")] = None,
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Page[CampaignOut]:
        return await campaigns.list_campaigns(db, user.market_id, campaign_state, limit, offset)

    @get("/{campaign_id:int}", opt=for_roles(Role.curator))
    async def show(self, campaign_id: IdParam, user: CurrentUser, db: Db) -> CampaignOut:
        """The campaign with its figures: offered, accepted, declined, expired, waiting, and reach by group."""
        return await campaigns.detail(db, user, campaign_id)

    @get("/{campaign_id:int}/offers", opt=for_roles(Role.curator))
    async def offers(
        self,
        campaign_id: IdParam,
        user: CurrentUser,
        db: Db,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> Page[CampaignOfferRow]:
        """The offers in the drawn order, each member's ticket with it (HMAC-SHA256 of the seed and the id)."""
        return await campaigns.offers_of(db, user, campaign_id, limit, offset)

    @post("/{campaign_id:int}/start", status_code=200, opt=for_roles(Role.curator))
    async def start(self, campaign_id: IdParam, user: CurrentUser, db: Db) -> CampaignOut:
        """Reserve the places, draw the order of offering and make the first offers."""
        return await campaigns.out(db, await campaigns.start(db, user, campaign_id))

    @post("/{campaign_id:int}/cancel", status_code=200, opt=for_roles(Role.curator))
    async def cancel(
        self, campaign_id: IdParam, data: JSONBody[CampaignCancelIn], user: CurrentUser, db: Db
    ) -> CampaignOut:
        """Call it off: open offers are withdrawn and their members told; seats not accepted go back."""
        return await campaigns.out(db, await campaigns.cancel(db, user, campaign_id, data.reason))


class CampaignOfferController(Controller):
    path = "/api/v1/campaign-offers"
    tags = ["orders"]

    @get("/", opt=for_roles(Role.member))
    async def mine(
        self,
        user: CurrentUser,
        db: Db,
        open_only: Annotated[bool, QueryParameter(name="open")] = False,
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Page[MemberOfferOut]:
        """Places offered to me without my applying (免申即享), open ones first."""
        return await campaigns.mine(db, user, open_only, limit, offset)

    @get("/{offer_id:int}", opt=for_roles(Role.member))
    async def show(self, offer_id: IdParam, user: CurrentUser, db: Db) -> MemberOfferOut:
        return await campaigns.offer_for(db, user, offer_id)

    @post("/{offer_id:int}/accept", status_code=200, opt=for_roles(Role.member))
    async def accept(self, offer_id: IdParam, user: CurrentUser, db: Db) -> MemberOfferOut:
        """Take the place: a seat becomes my order (accepted), a benefit a claim with a redeem code."""
        return await campaigns.accept(db, user, offer_id)

    @post("/{offer_id:int}/decline", status_code=200, opt=for_roles(Role.member))
    async def decline(self, offer_id: IdParam, user: CurrentUser, db: Db) -> MemberOfferOut:
        """Say no: the place goes to the next member."""
        return await campaigns.decline(db, user, offer_id)
