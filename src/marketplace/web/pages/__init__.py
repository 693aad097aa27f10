"""Server-rendered pages: members (phone-first), the provider console and the union desk."""

from litestar.config.csrf import CSRFConfig

from ...settings import Settings
from .account import AccountPages
from .campaigns import CampaignPages
from .checkin import CheckInPages
from .common import CSRF_COOKIE
from .desk import DeskPages
from .errors import with_pages
from .fairseats import FairSeatPages
from .hotline import HotlinePages
from .hours import HoursPages
from .keeper import KeeperPages
from .markets import MarketPages
from .member import MemberPages
from .needs import NeedPages
from .needs_loop import NeedsLoopPages
from .orders import OrderPages
from .provider import ProviderPages
from .roster import RosterPages, VerificationPages
from .satisfaction import SatisfactionPages
from .satisfaction_figures import SatisfactionFiguresPage
from .stations import StationPages
from .templating import static_files, template_config

PAGE_ROUTES = [
    AccountPages,
    MemberPages,
    NeedPages,
    NeedsLoopPages,
    OrderPages,
    ProviderPages,
    DeskPages,
    MarketPages,
    HoursPages,
    SatisfactionPages,
    SatisfactionFiguresPage,
    StationPages,
    KeeperPages,
    HotlinePages,
    CheckInPages,
    FairSeatPages,
    CampaignPages,
    RosterPages,
    VerificationPages,
]


def csrf_config(settings: Settings) -> CSRFConfig:
    # Every page form carries a token; the API is left out, as it reads bearer tokens only (auth.py).
    return CSRFConfig(
        secret=settings.key("csrf"),  # not the tokens' key (keys.py)
        cookie_name=CSRF_COOKIE,
        cookie_httponly=True,
        cookie_secure=settings.environment == "production",
        exclude=["^/api/"],
    )


def page_routes() -> list:
    return [*PAGE_ROUTES, static_files()]


__all__ = ["csrf_config", "page_routes", "template_config", "with_pages"]
