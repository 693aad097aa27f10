"""The engine and one session + transaction per request.

The transaction is committed by `provide_transaction` after the handler and its
response serialisation succeed, rolled back on any error; jobs recorded in the
outbox during it are sent to Redis after the commit (queue.py).
"""

import logging
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from . import cache, queue
from .services import waitlist_lines
from .settings import Settings, get_settings

log = logging.getLogger(__name__)


def make_engine(
    database_url: str, settings: Settings, pool_size: int | None = None, name: str = "marketplace"
) -> AsyncEngine:
    engine = create_async_engine(
        database_url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=0,  # see Settings.db_pool_size: no connection is opened just to be closed again
        connect_args={"server_settings": {"timezone": "UTC", "application_name": name}},
    )
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection, connection_record, connection_proxy) -> None:
    """A connection PostgreSQL closed while it sat in the pool (a restart, an idle timeout) is replaced
    before use. asyncpg notices the closed socket by itself, so this asks nothing of the server —
    `pool_pre_ping` would cost a round trip on every request."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")  # the pool opens a new one


def side_engine(session: AsyncSession, name: str) -> AsyncEngine:
    """One connection of its own to the session's database, for work a web process does for many requests at
    once (services/waitlist_lines.py, services/waitlist_joins.py): in a burst, the pool's connections are
    queued for by the requests still coming in, and the answers of all those waiting on that work would come
    after all of them. pg_stat_activity tells it apart by its application_name: `name` and the process id."""
    url = session.bind.url.render_as_string(hide_password=False)
    return make_engine(url, settings_of(session), pool_size=1, name=f"marketplace-{name}-{os.getpid()}")


def make_sessionmaker(engine: AsyncEngine, settings: Settings | None = None) -> async_sessionmaker[AsyncSession]:
    # Each session carries the process's settings, so use cases deep down (outbound notices, deadlines)
    # read the configuration of the process they run in: the web app's or the worker's.
    info = {"settings": settings} if settings is not None else None
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


def settings_of(session: AsyncSession) -> Settings:
    return session.info.get("settings") or get_settings()


@asynccontextmanager
async def db_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    settings: Settings = app.state.settings
    engine = make_engine(app.state.database_url, settings)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, settings)
    try:
        yield
    finally:
        from .services import waitlist_joins  # (it places orders, which read this module's settings_of)

        await waitlist_lines.close()
        await waitlist_joins.close()
        await engine.dispose()


class transaction:  # noqa: N801 (used as a function: `async with transaction(...) as db`)
    """One unit of work: commit on success, roll back on error, then send the queued jobs.

    A class rather than an @asynccontextmanager generator: when a request's dependency fails after this
    one was opened (the user's lookup while the database is away), Litestar leaves `provide_transaction`
    to the garbage collector, and two nested generators closed there at once fail ("aclose(): asynchronous
    generator is already running") instead of rolling back."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], redis=None, queue_name: str | None = None):
        self.session, self.redis, self.queue_name = sessionmaker(), redis, queue_name
        self.sessionmaker = sessionmaker

    async def __aenter__(self) -> AsyncSession:
        return self.session  # it begins with its first statement; a use case may commit early (web/orders.py)

    async def __aexit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None:
                await self.session.commit()  # on an error, closing the session below rolls back
                await waitlist_lines.take_places(self.session)
                await queue.run_now_after_commit(self.session, self.sessionmaker, self.redis, self.queue_name)
                await queue.send_after_commit(self.session, self.redis, self.queue_name)
                await cache.bump_after_commit(self.session, self.redis, self.queue_name)
                for path in self.session.info.pop("after_commit_unlink", []):  # files no row names any more
                    path.unlink(missing_ok=True)
        finally:
            await self.session.__aexit__(exc_type, exc, traceback)  # closes it, shielded from cancellation


async def provide_transaction(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with transaction(state.sessionmaker, state.redis, state.settings.queue_name) as session:
        yield session
