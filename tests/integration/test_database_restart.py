"""PostgreSQL restarted (every connection cut) while the web process keeps running: no request fails."""

import asyncio

import sqlalchemy as sa

_CUT_EVERY_OTHER_CONNECTION = sa.text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


async def test_connections_cut_by_a_database_restart_are_replaced_unseen(client, factory, engine):
    headers = factory.headers(await factory.user())

    async def orders() -> list[int]:
        answers = await asyncio.gather(*(client.get("/api/v1/orders", headers=headers) for _ in range(6)))
        return [a.status_code for a in answers]

    assert await orders() == [200] * 6  # several pooled connections in use, then idle
    async with engine.connect() as connection:
        assert (await connection.execute(_CUT_EVERY_OTHER_CONNECTION)).scalar_one() >= 1
    await asyncio.sleep(0.2)  # the restart is over before the next members arrive

    assert await orders() == [200] * 6
    assert [(await client.get("/api/v1/orders", headers=headers)).status_code for _ in range(3)] == [200] * 3
