"""Units of work outside a web request: the CLI and the demo-data loader."""

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from arq import create_pool
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from .db import make_engine, make_sessionmaker, transaction
from .domain.roles import Role
from .errors import MarketError
from .outage import sqlstate
from .queue import redis_settings
from .schemas.accounts import AccountIn
from .services import accounts, demo, market_tree
from .services.markets import ensure_market
from .settings import Settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def unit_of_work(settings: Settings, *, redis: bool = False) -> AsyncGenerator[AsyncSession, None]:
    """One transaction on a short-lived engine; queued jobs wait for the worker's relay. `redis`: with Redis
    after the commit, as a web request has it (the menus' cache versions bumped, queued jobs sent)."""
    engine = make_engine(settings.database_url, settings)
    pool = None
    try:
        if redis:
            pool = await _redis_if_up(settings)
        queue_name = settings.queue_name if pool is not None else None
        async with transaction(make_sessionmaker(engine, settings), pool, queue_name) as db:
            yield db
    finally:
        if pool is not None:
            await pool.aclose()
        await engine.dispose()


async def _redis_if_up(settings: Settings):
    """Redis, or None while it is away: what needs it after the commit is best effort (the menus' caches
    expire within MENU_CACHE_SECONDS anyway, and queued jobs wait for the worker's relay)."""
    try:
        return await create_pool(redis_settings(settings.redis_url))
    except (OSError, RedisError) as exc:
        log.warning("Redis not reached (%s): the menus' caches renew within MENU_CACHE_SECONDS", exc)
        return None


async def create_account(
    settings: Settings, phone: str, name: str, password: str, roles: list[Role], market: str | None = None
) -> int:
    from pydantic import ValidationError

    try:
        data = AccountIn(phone=phone, name=name, password=password)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{first['loc'][0]}: {first['msg']}") from exc
    async with unit_of_work(settings) as db:
        market_id = await ensure_market(db, settings.default_market)
        try:
            if market is not None:
                market_id = (await market_tree.by_slug(db, market)).id
            user = await accounts.create_member(db, settings, market_id, data)
        except MarketError as exc:  # a taken phone, a common password: said, not a traceback
            raise ValueError(f"{exc.extra.get('field', 'input')}: {exc.detail}") from exc
        if set(roles) - {Role.member}:
            user.roles = sorted({Role.member.value, *(r.value for r in roles)})
            await accounts.ensure_provider_profile(db, user)
        return user.id


async def has_curator(settings: Settings) -> bool:
    """Whether the default market has an active curator yet (a market without one has nobody to run it)."""
    import sqlalchemy as sa

    from .models import Market, User

    async with unit_of_work(settings) as db:
        found = await db.execute(
            sa.select(User.id)
            .join(Market, Market.id == User.market_id)
            .where(Market.slug == settings.default_market, sa.literal(Role.curator.value) == sa.any_(User.roles))
            .where(User.is_active)
            .limit(1)
        )
        return found.first() is not None


async def add_market(settings: Settings, slug: str, name_zh: str, name_en: str, parent: str | None) -> int:
    """`marketplace market add`: a market, under the market called `parent` if given."""
    async with unit_of_work(settings) as db:
        await ensure_market(db, settings.default_market)  # the tree starts from the market the app serves
        try:
            parent_id = (await market_tree.by_slug(db, parent)).id if parent else None
            return (await market_tree.add(db, slug, name_zh, name_en, parent_id)).id
        except MarketError as exc:
            raise ValueError(f"{exc.extra.get('field', 'input')}: {exc.detail}") from exc


async def move_market(settings: Settings, slug: str, parent: str | None) -> None:
    """`marketplace market move`: place a market (and its subtree) under another, or at the top."""
    async with unit_of_work(settings, redis=True) as db:  # the menus cached by the web processes are renewed
        try:
            market = await market_tree.by_slug(db, slug)
            parent_id = (await market_tree.by_slug(db, parent)).id if parent else None
            await market_tree.move(db, market.id, parent_id)
        except MarketError as exc:
            raise ValueError(f"{exc.extra.get('field', 'input')}: {exc.detail}") from exc


async def market_lines(settings: Settings) -> list[str]:
    """`marketplace market list`: the markets as a tree, two spaces a level."""
    async with unit_of_work(settings) as db:
        await ensure_market(db, settings.default_market)
        return [f"{'  ' * depth}{m.slug}  {m.name_zh} / {m.name_en}" for m, depth in await market_tree.tree(db)]


# A transaction that met concurrent work (the worker archiving the same orders, which moves their events to
# another partition; a deadlock) is refused by PostgreSQL as a whole and may simply run again.
_RUN_AGAIN_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
REMOVE_DEMO_ATTEMPTS = 5


async def remove_demo(settings: Settings, phone: str, password: str) -> dict[str, int]:
    """`marketplace demo remove`, in one transaction, run again (up to REMOVE_DEMO_ATTEMPTS times) when it
    met the worker's concurrent work on the same rows."""
    attempt = 1
    while True:
        try:
            async with unit_of_work(settings) as db:
                return await demo.remove(db, settings, phone, password)
        except DBAPIError as exc:
            state = sqlstate(exc)
            if state not in _RUN_AGAIN_SQLSTATES or attempt == REMOVE_DEMO_ATTEMPTS:
                raise
            log.warning("demo removal met concurrent work (%s); running it again", state)
            attempt += 1


async def import_survey(settings: Settings, content: bytes, filename: str, phone: str | None, progress=None) -> dict:
    """Import a questionnaire here and now, one transaction per batch, as a curator (the one with this
    phone, else the market's first curator): `marketplace import-survey FILE`."""
    from .services import surveys

    found = await _import_as_curator(settings, phone, surveys.import_file, filename, content, progress)
    return {
        "import": found.id,
        "rows": found.total_rows,
        "imported": found.imported_rows,
        "already imported": found.duplicate_rows,
        "bad rows": found.bad_rows,
        "errors": found.errors[:20],
    }


async def import_roster(settings: Settings, content: bytes, filename: str, phone: str | None) -> dict:
    """Import a real-name roster here and now (the demo data), as `import_survey` does a questionnaire."""
    from .services import roster

    found = await _import_as_curator(settings, phone, roster.import_file, filename, content, None)
    return {
        "roster rows": found.imported_rows + found.updated_rows + found.duplicate_rows,
        "roster bad rows": found.bad_rows,
        "verified by the roster": found.verified_users,
    }


async def _import_as_curator(settings: Settings, phone: str | None, import_file, filename, content, progress):
    """Run an import's batches in-process as a curator of the default market (the one with this phone,
    else the first)."""
    import sqlalchemy as sa

    from .models import User

    engine = make_engine(settings.database_url, settings)
    sessionmaker = make_sessionmaker(engine, settings)
    try:
        async with transaction(sessionmaker) as db:
            market_id = await ensure_market(db, settings.default_market)
            query = sa.select(User).where(
                User.market_id == market_id, User.is_active.is_(True), User.roles.contains([Role.curator.value])
            )
            if phone:
                query = query.where(User.phone == phone)
            curator = (await db.execute(query.order_by(User.id).limit(1))).scalar_one_or_none()
        if curator is None:
            raise ValueError("no curator to import as: create one with `marketplace create-user --role curator`")
        try:
            return await import_file(lambda: transaction(sessionmaker), curator, filename, content, progress)
        except MarketError as exc:
            raise ValueError(exc.detail) from exc
    finally:
        await engine.dispose()
