"""Dependencies every controller can ask for by name."""

from litestar.datastructures import State
from litestar.di import Provide

from ..auth import provide_optional_user, provide_user
from ..db import provide_transaction
from ..ratelimits import Limits
from ..settings import Settings


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_market_id(state: State) -> int:
    return state.market_id


def provide_limits(state: State) -> Limits:
    return state.limits


DEPENDENCIES = {
    "db": Provide(provide_transaction),
    "user": Provide(provide_user),
    "maybe_user": Provide(provide_optional_user),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "market_id": Provide(provide_market_id, sync_to_thread=False),
    "limits": Provide(provide_limits, sync_to_thread=False),
}
