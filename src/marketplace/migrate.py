"""Run Alembic from code (the CLI, `up`, and the tests use the same path)."""

import asyncio

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from .settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def _database_revision(database_url: str) -> str | None:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return await conn.fetchval("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


def upgrade_if_behind(database_url: str) -> bool:
    """Upgrade to head unless the database is there already (a warm start skips Alembic's environment,
    about a second). True when it upgraded."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    if asyncio.run(_database_revision(database_url)) == head:
        return False
    upgrade(database_url)
    return True


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
