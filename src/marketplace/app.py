"""create_app(): routes, lifespans, dependencies and error mapping."""

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin

from . import __version__
from .db import db_lifespan
from .errors import EXCEPTION_HANDLERS
from .logs import configure_logging
from .queue import redis_lifespan
from .ratelimits import limits_lifespan
from .services.markets import ensure_market
from .settings import Settings, get_settings
from .web.accounts import AccountController, UserAdminController
from .web.bodies import MAX_BODY_BYTES, BodyBounds
from .web.campaigns import CampaignController, CampaignOfferController
from .web.categories import CategoryAdminController, CategoryController
from .web.checkin import CheckInController, OrganisationController
from .web.deps import DEPENDENCIES
from .web.fairseats import DrawController
from .web.headers import security_headers
from .web.health import healthz
from .web.hotline import HotlineController
from .web.insights import InsightsController
from .web.listings import ListingAdminController, ListingController, SessionController
from .web.markets import MarketAdminController
from .web.needs import NeedAdminController
from .web.openapi import COMPONENTS, document
from .web.order_messages import OrderMessageController
from .web.orders import AttendanceController, OrderController
from .web.pages import csrf_config, page_routes, template_config, with_pages
from .web.pictures import ListingPictureController, picture_file
from .web.reviews import NotificationController, ReviewController
from .web.roster import RosterController, VerificationController
from .web.satisfaction import CaseController, SurveyController
from .web.service_hours import ServiceHoursController
from .web.stations import KeeperController, StationAdminController, StationController, StationPhotoController
from .web.surveys import NeedsLoopController, SurveyImportController

ROUTES = [
    healthz,
    AccountController,
    UserAdminController,
    CategoryController,
    CategoryAdminController,
    ListingController,
    SessionController,
    ListingAdminController,
    MarketAdminController,
    OrderController,
    AttendanceController,
    OrderMessageController,
    ReviewController,
    NotificationController,
    InsightsController,
    NeedAdminController,
    SurveyController,
    CaseController,
    ServiceHoursController,
    StationController,
    StationAdminController,
    KeeperController,
    StationPhotoController,
    HotlineController,
    CheckInController,
    OrganisationController,
    ListingPictureController,
    picture_file,
    SurveyImportController,
    RosterController,
    VerificationController,
    NeedsLoopController,
    DrawController,
    CampaignController,
    CampaignOfferController,
]


@asynccontextmanager
async def market_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    async with app.state.sessionmaker() as session, session.begin():
        app.state.market_id = await ensure_market(session, app.state.settings.default_market)
    yield


FULL_COLLECTION_AFTER = 100  # middle-generation collections (Python's default: 10)


@asynccontextmanager
async def collector_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    """Python's full collections, made rare and small for a web process. In a burst the thousands of requests
    in flight hold a large heap, and each full collection walked all of it and every object made at start:
    10 of them took 3.0 s of CPU over 6,000 orders (0.5 ms an order, `python -m bench.burst`), stopping
    every request while they ran. The objects made at start are set aside (gc.freeze), and a full
    collection waits for 100 middle ones instead of 10: 0.07 ms an order. Young cycles are collected as
    often as before."""
    thresholds, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_COLLECTION_AFTER))
    try:
        yield
    finally:  # as before (an app stopped in a process that goes on: the tests')
        gc.set_threshold(*thresholds)
        if not frozen_before:
            gc.unfreeze()


def _schema_renderers(settings: Settings) -> list:
    # The document is always at /schema/openapi.json; the browsable viewer loads its script from a CDN,
    # so it is there only when asked for (SCHEMA_VIEWER=true; web/headers.py exempts it from the CSP).
    json = JsonRenderPlugin(path="/openapi.json")
    return [ScalarRenderPlugin(path="/"), json] if settings.schema_viewer else [json]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError(
            "DATABASE_URL and REDIS_URL are not set: run `marketplace up` for the embedded servers, "
            "or point them at a PostgreSQL and a Redis."
        )
    configure_logging(settings)
    app = Litestar(
        route_handlers=[*ROUTES, *page_routes()],
        dependencies=DEPENDENCIES,
        exception_handlers=with_pages(EXCEPTION_HANDLERS),
        template_config=template_config(),
        csrf_config=csrf_config(settings),
        lifespan=[db_lifespan, redis_lifespan, limits_lifespan, market_lifespan, collector_lifespan],
        before_send=[security_headers(settings)],
        openapi_config=OpenAPIConfig(
            title="Cloud Market API",
            version=__version__,
            path="/schema",
            render_plugins=_schema_renderers(settings),
            components=COMPONENTS,
        ),
        debug=False,
        # gzip what is worth it (pages, lists): a phone on a slow mobile network gets a third of the bytes.
        # Level 6 keeps the CPU per answer small on the order path.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        middleware=[BodyBounds()],
        request_max_body_size=MAX_BODY_BYTES,
    )
    document(app)
    app.state.settings = settings
    app.state.database_url = settings.database_url
    app.state.redis_url = settings.redis_url
    return app
