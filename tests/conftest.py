"""Fixtures on real PostgreSQL and Redis: one database and one queue name per test run."""

import pytest
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.db import make_engine, make_sessionmaker
from marketplace.ratelimits import make_limits
from marketplace.settings import Settings

from . import servers as test_servers
from .factories import Factory
from .live import live_server  # noqa: F401 (a fixture: the browser tests and real concurrent clients)


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers)
        config.embedded_servers = test_servers.start_embedded_if_unset()


def pytest_unconfigure(config):
    if getattr(config, "embedded_servers", None) is not None:
        config.embedded_servers.stop()


@pytest.fixture(scope="session")
async def servers():
    started = await test_servers.start()
    yield started
    await started.drop()


@pytest.fixture(scope="session")
def settings(servers, tmp_path_factory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),  # listing pictures land here
        environment="test",
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        queue_name=servers.queue_name,
        secret_key="test-secret-" + "x" * 32,
        # Cheap hashing keeps factories fast; the production cost is covered by a unit test.
        password_time_cost=1,
        password_memory_kib=64,
        db_pool_size=10,
        # Tests write rows behind the services' back (factories); the cache has its own test.
        menu_cache_seconds=0,
        # The development SMS sender writes codes here; tests read them back (tests/codes.py).
        dev_sms_inbox=tmp_path_factory.mktemp("sms") / "dev-sms.jsonl",
    )


@pytest.fixture(scope="session")
async def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app):
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def limits(settings):
    """The app's rate limits, on a connection of the tests' own loop (the app's runs in another)."""
    return make_limits(settings, settings.redis_url)


@pytest.fixture(scope="session")
async def engine(settings):
    engine = make_engine(settings.database_url, settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def factory(engine, settings, app, client) -> Factory:
    return Factory(make_sessionmaker(engine), settings, app.state.market_id)
