"""Real PostgreSQL and Redis for the tests: the configured ones, or the embedded default.

Every test run gets a database and a queue name of its own, so two runs on one
machine (or a run next to `marketplace up`) never see each other's data.
"""

import asyncio
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from marketplace import embedded, migrate
from marketplace.settings import PROJECT_ROOT


@dataclass
class TestServers:
    admin_dsn: str  # asyncpg DSN of the server's maintenance database
    database_url: str  # SQLAlchemy URL of this run's own database
    database_name: str
    redis_url: str
    queue_name: str

    async def drop(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
        finally:
            await conn.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def start() -> TestServers:
    """This run's (or this xdist worker's) own database on the server DATABASE_URL names, migrated."""
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    suffix = secrets.token_hex(4)
    name = f"marketplace_test_{suffix}"
    admin_dsn = _asyncpg_dsn(_with_database(database_url, "postgres"))
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    test_url = _with_database(database_url, name)
    await asyncio.to_thread(migrate.upgrade, test_url)
    return TestServers(admin_dsn, test_url, name, redis_url, f"mkt-test-{suffix}")


def start_embedded_if_unset() -> object | None:
    """The embedded PostgreSQL and Redis for what DATABASE_URL/REDIS_URL leave unset, started once for the
    whole run (in pytest-xdist's controller, before its workers start) and handed on through the environment."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        return None
    servers = embedded.start(PROJECT_ROOT / ".marketplace" / "test", not database_url, not redis_url)
    os.environ["DATABASE_URL"] = database_url or servers.database_url
    os.environ["REDIS_URL"] = redis_url or servers.redis_url
    return servers
