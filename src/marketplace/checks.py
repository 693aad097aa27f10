"""`marketplace check`: database, Redis and a live worker."""

import sqlalchemy as sa
from arq.connections import create_pool

from .db import make_engine
from .queue import redis_settings
from .settings import Settings


async def run_checks(settings: Settings) -> tuple[bool, list[str]]:
    lines: list[str] = []
    ok = True
    engine = make_engine(settings.database_url, settings)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(sa.text("SHOW server_version"))).scalar_one()
            revision = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar_one()
        lines.append(f"database: ok (PostgreSQL {version}, migration {revision})")
    except Exception as exc:
        ok = False
        lines.append(f"database: FAILED ({exc})")
    finally:
        await engine.dispose()
    try:
        redis = await create_pool(redis_settings(settings.redis_url))
        try:
            info = await redis.info("server")
            lines.append(f"redis: ok (Redis {info['redis_version']})")
            health = await redis.get(f"{settings.queue_name}:health-check")
            if health:
                lines.append(f"worker: ok ({health.decode()})")
            else:
                ok = False
                lines.append("worker: FAILED (no health check from a worker in the last minute)")
        finally:
            await redis.aclose()
    except Exception as exc:
        ok = False
        lines.append(f"redis: FAILED ({exc})")
    return ok, lines
