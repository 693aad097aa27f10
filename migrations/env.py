"""Alembic environment (async). The URL comes from the caller's config or DATABASE_URL."""

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.models.orders import ORDER_EVENT_PARTITIONS

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# Partitions are their parent's storage: the model describes the parent (its columns, keys and indexes, which
# every partition gets), so autogenerate must not take them for tables the models lack.
_PARTITIONS = set(ORDER_EVENT_PARTITIONS.values())


def _include_name(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name in _PARTITIONS)


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    return url


def _configure(connection=None, url=None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_name=_include_name,
    )


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
