import asyncio

import asyncpg
from alembic import command

from marketplace import migrate

from ..servers import _with_database


async def test_upgrade_downgrade_upgrade_and_no_drift(servers):
    name = servers.database_name + "_mig"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        await asyncio.to_thread(migrate.downgrade, url, "base")
        await asyncio.to_thread(migrate.upgrade, url)
        # `alembic check`: raises when the models and the migrations disagree
        await asyncio.to_thread(command.check, migrate.alembic_config(url))
    finally:
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_upgrade_if_behind_skips_a_database_at_head(servers):
    name = servers.database_name + "_behind"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    try:
        assert await asyncio.to_thread(migrate.upgrade_if_behind, url) is True
        assert await asyncio.to_thread(migrate.upgrade_if_behind, url) is False
    finally:
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
