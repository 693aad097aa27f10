"""PostgreSQL restarted (every connection cut) while the web process keeps running: no request fails."""

import asyncio

import sqlalchemy as sa
from sqlalchemy import event

_CUT_EVERY_OTHER_CONNECTION = sa.text(
    "WITH others AS MATERIALIZED (SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()) "
    "SELECT count(*) FROM others WHERE pg_terminate_backend(pid)"
)


async def restart_seen_by(engine, pooled: set) -> None:
    """Cut every connection but this one, as a restart does, and wait until the `pooled` driver connections
    have seen the server close them: the restart is over before the next members arrive (during one, the
    API answers 503 with Retry-After)."""
    async with engine.connect() as connection:
        assert (await connection.execute(_CUT_EVERY_OTHER_CONNECTION)).scalar_one() >= 1
    for _ in range(500):
        if pooled and all(c.is_closed() for c in pooled):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the pooled connections never saw the server close them")


async def test_connections_cut_by_a_database_restart_are_replaced_unseen(app, client, factory, engine):
    headers = factory.headers(await factory.user())

    async def orders() -> list[int]:
        answers = await asyncio.gather(*(client.get("/api/v1/orders", headers=headers) for _ in range(6)))
        return [a.status_code for a in answers]

    pooled = set()  # the app's connections, as they go back into its pool
    pool = app.state.engine.sync_engine.pool

    def remember(dbapi_connection, record) -> None:
        pooled.add(dbapi_connection.driver_connection)

    event.listen(pool, "checkin", remember)
    try:
        assert await orders() == [200] * 6  # several pooled connections in use, then idle
    finally:
        event.remove(pool, "checkin", remember)
    await restart_seen_by(engine, pooled)

    assert await orders() == [200] * 6
    assert [(await client.get("/api/v1/orders", headers=headers)).status_code for _ in range(3)] == [200] * 3
