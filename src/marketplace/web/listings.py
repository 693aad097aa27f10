from typing import Annotated

from litestar import Controller, MediaType, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromQuery, JSONBody, Parameter, QueryParameter

from ..auth import for_roles
from ..domain.listings import ListingState, ServiceMode
from ..domain.roles import MemberGroup, Role
from ..schemas.common import Page
from ..schemas.listings import (
    ApproveIn,
    BatchIn,
    BatchOut,
    BulkApproveIn,
    BulkApproveOut,
    BulkRefusal,
    ListingIn,
    ListingOut,
    ListingPatch,
    ListingSummaryOut,
    SessionsAddedOut,
    SessionsIn,
    ShareIn,
    SkippedSession,
)
from ..schemas.orders import RequiredReasonIn
from ..schemas.reviews import ReviewOut
from ..services import listings, market_tree, menu, reviews
from . import public
from .common import CurrentUser, Db, IdParam, Limit, MarketId, MaybeUser, Offset, SearchText


class ListingController(Controller):
    path = "/api/v1/listings"
    tags = ["catalogue"]

    @get("/")
    async def browse(
        self,
        state: State,
        market_id: MarketId,
        maybe_user: MaybeUser,
        category: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        q: FromQuery[SearchText] = None,
        mode: FromQuery[ServiceMode | None] = None,
        group: FromQuery[MemberGroup | None] = None,
        available: FromQuery[bool | None] = None,
        provider: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        sort: FromQuery[Annotated[str, Parameter(pattern="^(new|rating|soon)$")]] = "new",
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Response[Page[ListingSummaryOut]]:
        """The menu of the caller's market (with what the markets above it share below); a visitor without a
        session sees the deployment's default market."""
        body = await public.menu_json(
            state,
            None,
            maybe_user.market_id if maybe_user is not None else market_id,
            category_id=category,
            q=q,
            mode=mode,
            group=group,
            available=available,
            provider_id=provider,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return Response(body, media_type=MediaType.JSON)

    @get("/mine", opt=for_roles(Role.provider))
    async def mine(
        self,
        user: CurrentUser,
        db: Db,
        listing_state: Annotated[ListingState | None, QueryParameter(name="state")] = None,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> Page[ListingSummaryOut]:
        return await menu.mine(db, user, listing_state, limit, offset)

    @post("/", opt=for_roles(Role.provider))
    async def create(self, data: JSONBody[ListingIn], user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.create(db, user, data))

    @get("/{listing_id:int}")
    async def show(self, listing_id: IdParam, maybe_user: MaybeUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.get_visible(db, maybe_user, listing_id))

    @patch("/{listing_id:int}")
    async def update(self, listing_id: IdParam, data: JSONBody[ListingPatch], user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.update(db, user, listing_id, data))

    @post("/{listing_id:int}/submit", status_code=200)
    async def submit(self, listing_id: IdParam, user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.submit(db, user, listing_id))

    @post("/{listing_id:int}/sessions", status_code=200)
    async def add_sessions(
        self, listing_id: IdParam, data: JSONBody[SessionsIn], user: CurrentUser, db: Db
    ) -> SessionsAddedOut:
        """Add sessions, each repeated weekly (`repeat_weeks` or `repeat_until`, up to 26 weeks); those that
        clash with the provider's other sessions are skipped and listed under `skipped`."""
        listing, added, skipped = await listings.add_sessions(db, user, listing_id, data.sessions, data.repeat_weeks)
        detail = await menu.detail(db, listing)
        gone = [SkippedSession(starts_at=s, ends_at=e, reason="clash") for s, e in skipped]
        return SessionsAddedOut(**detail.model_dump(), added=added, skipped=gone)

    @post("/{listing_id:int}/clone")
    async def clone(self, listing_id: IdParam, user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.clone(db, user, listing_id))

    @post("/{listing_id:int}/pause", status_code=200)
    async def pause(self, listing_id: IdParam, user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.change_state(db, user, listing_id, "pause"))

    @post("/{listing_id:int}/resume", status_code=200)
    async def resume(self, listing_id: IdParam, user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.change_state(db, user, listing_id, "resume"))

    @post("/{listing_id:int}/close", status_code=200)
    async def close(self, listing_id: IdParam, user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.change_state(db, user, listing_id, "close"))

    @post("/{listing_id:int}/archive", status_code=200)
    async def archive(self, listing_id: IdParam, user: CurrentUser, db: Db) -> ListingOut:
        return await menu.detail(db, await listings.change_state(db, user, listing_id, "archive"))

    @get("/{listing_id:int}/reviews")
    async def listing_reviews(
        self,
        listing_id: IdParam,
        maybe_user: MaybeUser,
        db: Db,
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
    ) -> Page[ReviewOut]:
        await listings.get_visible(db, maybe_user, listing_id)
        return await reviews.for_listing(db, maybe_user, listing_id, limit, offset)


class SessionController(Controller):
    path = "/api/v1/sessions"
    tags = ["catalogue"]

    @post("/{session_id:int}/cancel", status_code=200)
    async def cancel(self, session_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db) -> dict:
        session = await listings.cancel_session(db, user, session_id, data.reason)
        return {"id": session.id, "cancelled": True}


class ListingAdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @post("/batches", opt=for_roles(Role.curator))
    async def create_batch(self, data: JSONBody[BatchIn], user: CurrentUser, db: Db) -> BatchOut:
        return await listings.create_batch(db, user, data)

    @get("/batches", opt=for_roles(Role.curator, Role.operator))
    async def list_batches(
        self, user: CurrentUser, db: Db, limit: FromQuery[Limit] = 50, offset: FromQuery[Offset] = 0
    ) -> Page[BatchOut]:
        return await listings.list_batches(db, await market_tree.staff_markets(db, user), limit, offset)

    @get("/listings/submitted", opt=for_roles(Role.curator))
    async def submitted(
        self,
        user: CurrentUser,
        db: Db,
        category: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        provider: FromQuery[Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]] = None,
        limit: FromQuery[Limit] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> Page[ListingSummaryOut]:
        """Listings waiting for approval, the longest waiting first; of a category (with those below it) or
        a provider when asked."""
        return await menu.waiting_for_approval(
            db, await market_tree.staff_markets(db, user), limit, offset, category, provider
        )

    @post("/listings/approve", status_code=200, opt=for_roles(Role.curator))
    async def approve_many(self, data: JSONBody[BulkApproveIn], user: CurrentUser, db: Db) -> BulkApproveOut:
        """Approve several listings into one batch at once: each audited; one that cannot be approved is
        listed under `refused` with why, and the others are approved all the same."""
        done, refused = await listings.approve_many(db, user, data.listing_ids, data.batch_id)
        return BulkApproveOut(
            approved=[listing.id for listing in done],
            refused=[BulkRefusal(id=i, detail=exc.detail) for i, exc in refused.items()],
        )

    @post("/listings/{listing_id:int}/approve", status_code=200, opt=for_roles(Role.curator))
    async def approve(self, listing_id: IdParam, data: JSONBody[ApproveIn], user: CurrentUser, db: Db) -> ListingOut:
        approved = await listings.approve(db, user, listing_id, data.batch_id, data.verified_only, data.shared_below)
        return await menu.detail(db, approved)

    @post("/listings/{listing_id:int}/share", status_code=200, opt=for_roles(Role.curator))
    async def share(self, listing_id: IdParam, data: JSONBody[ShareIn], user: CurrentUser, db: Db) -> ListingOut:
        """Put a listing on the menus of every market below its own (`shared_below`: true), or take it off."""
        return await menu.detail(db, await listings.share_below(db, user, listing_id, data.shared_below))

    @post("/listings/{listing_id:int}/reject", status_code=200, opt=for_roles(Role.curator))
    async def reject(
        self, listing_id: IdParam, data: JSONBody[RequiredReasonIn], user: CurrentUser, db: Db
    ) -> ListingOut:
        return await menu.detail(db, await listings.reject(db, user, listing_id, data.reason))
