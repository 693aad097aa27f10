"""Nothing lost: orders placed while Redis is down are matched after it returns; a worker killed
with SIGKILL in the middle of a batch (of matching, of reminders) is restarted and finishes every
job, with no duplicate notice."""

import os
import secrets
import signal
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.checks import run_checks
from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.models import Notification, Offer, Order, OutboxJob
from marketplace.queue import enqueue_many
from marketplace.schemas.orders import OrderIn
from marketplace.services import orders
from marketplace.services.reminders import REMIND

from ...outages import poll_until, worker_process
from .conftest import forget_queued, make_jobs


async def _need(client, headers, category_id, n):
    response = await client.post(
        "/api/v1/orders", json={"category_id": category_id, "title": f"想学书法 {n}"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_needs_placed_while_redis_is_down_are_all_matched_after_it_returns(
    settings, engine, factory, own_redis, client
):
    local = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{own_redis.port}/0", "queue_name": f"fault-{secrets.token_hex(3)}"}
    )
    category = await factory.category("书法培训")
    for _ in range(3):
        await factory.provider([category], capacity=10)
    member = await factory.user()
    headers = factory.headers(member)
    async with AsyncTestClient(app=create_app(local)) as app_client:
        before = [await _need(app_client, headers, category.id, n) for n in range(3)]  # sent to Redis
        own_redis.stop()  # …and lost with it: this Redis keeps nothing on disk
        during = [await _need(app_client, headers, category.id, n) for n in range(3, 8)]  # not sent at all
    async with engine.connect() as conn:
        states = dict((await conn.execute(sa.select(OutboxJob.state, sa.func.count()).group_by(OutboxJob.state))).all())
    assert states == {"sent": 3, "pending": 5}

    own_redis.start()
    jobs = await make_jobs(local, engine)
    try:
        # the worker's relay sends what was never sent, and again what Redis lost
        await jobs.drain(stuck_after=timedelta(0))
    finally:
        await jobs.redis.aclose()
    for order_id in before + during:
        order = await jobs.order(order_id)
        assert order.state == "offered", order_id
    assert {r.state for r in await jobs.rows("match_needs")} == {"done"}


NEEDS = 40


async def test_a_worker_killed_mid_batch_finishes_every_job_after_a_restart_without_duplicates(
    settings, engine, factory, client
):
    queue_name = f"kill-{secrets.token_hex(3)}"
    local = settings.model_copy(update={"queue_name": queue_name})
    category = await factory.category("书法培训")
    for _ in range(6):
        await factory.provider([category], capacity=10)
    members = await factory.members(4)
    jobs = await make_jobs(local, engine)
    try:
        for n in range(NEEDS):  # placed through the use case: one match job each, sent after commit
            member = members[n % 4]
            await jobs.run(
                lambda db, m=member, n=n: orders.place_need(db, m, OrderIn(category_id=category.id, title=f"书法 {n}"))
            )

        env = {
            **os.environ,
            "DATABASE_URL": local.database_url,
            "REDIS_URL": local.redis_url,
            "QUEUE_NAME": queue_name,
            "MATCH_BATCH_SIZE": "1",  # one need per batch: many small transactions to be cut
            "LOG_LEVEL": "WARNING",
        }

        async def offered() -> int:
            async with engine.connect() as conn:
                return (
                    await conn.execute(sa.select(sa.func.count()).select_from(Offer).where(Offer.state == "pending"))
                ).scalar_one()

        first = worker_process(env)
        try:
            at_kill = await poll_until(lambda: _at_least(offered, 5), 60, "the first offers")
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # no goodbye: transactions cut, arq jobs left in progress
            first.wait(10)
        at_kill = await offered()
        assert 0 < at_kill < NEEDS, at_kill

        second = worker_process({**env, "OUTBOX_STUCK_SECONDS": "0"})  # its relay re-sends what the dead one held
        try:

            async def finished() -> bool:
                async with engine.connect() as conn:
                    open_jobs = (
                        await conn.execute(
                            sa.select(sa.func.count())
                            .select_from(OutboxJob)
                            .where(OutboxJob.job == "match_needs", OutboxJob.state.in_(["pending", "sent"]))
                        )
                    ).scalar_one()
                return open_jobs == 0 and await offered() == NEEDS

            await poll_until(finished, 60, "every job to finish")
            ok, lines = await run_checks(local)  # `marketplace check` sees the live worker
            assert ok and any(line.startswith("worker: ok") for line in lines), lines
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)

        async with engine.connect() as conn:
            placed = (await conn.execute(sa.select(Order.state).where(Order.kind == "need"))).scalars().all()
            notices = (await conn.execute(sa.select(Notification.data).where(Notification.kind == "offer"))).scalars()
            per_order = Counter(data["order_id"] for data in notices)
            failed = (
                await conn.execute(sa.select(sa.func.count()).select_from(OutboxJob).where(OutboxJob.state == "failed"))
            ).scalar_one()
            offers_per_order = Counter(
                (await conn.execute(sa.select(Offer.order_id).where(Offer.state == "pending"))).scalars()
            )
        assert Counter(placed) == {"offered": NEEDS}
        assert len(per_order) == NEEDS and set(per_order.values()) == {1}  # every provider told once per offer
        assert set(offers_per_order.values()) == {1}
        assert failed == 0
    finally:
        await forget_queued(jobs.redis, queue_name)
        await jobs.redis.aclose()


async def _at_least(count, n: int):
    found = await count()
    return found if found >= n else 0


REMINDERS = 3000


async def test_a_worker_killed_mid_reminder_batches_sends_every_reminder_once_after_a_restart(
    settings, engine, factory, client
):
    queue_name = f"kill-{secrets.token_hex(3)}"
    local = settings.model_copy(update={"queue_name": queue_name})
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 40)], auto_accept=True)
    orders = [await factory.order_in_state(m, listing, "delivered") for m in await factory.members(30)]
    planned = []
    for n in range(REMINDERS):
        order = orders[n % len(orders)]
        key = f"kill:{n}:remind:sign_off"
        planned.append((REMIND, {"key": key, "kind": "sign_off", "to": "member", "order_id": order.id}, None, key))
    jobs = await make_jobs(local, engine)
    try:
        async with transaction(jobs.sessionmaker) as db:  # recorded, left for the worker's relay
            await enqueue_many(db, planned)
        env = {
            **os.environ,
            "DATABASE_URL": local.database_url,
            "REDIS_URL": local.redis_url,
            "QUEUE_NAME": queue_name,
            "LOG_LEVEL": "WARNING",
        }

        async def done() -> int:
            async with engine.connect() as conn:
                return (
                    await conn.execute(
                        sa.select(sa.func.count()).select_from(OutboxJob).where(OutboxJob.state == "done")
                    )
                ).scalar_one()

        first = worker_process(env)
        try:
            await poll_until(lambda: _at_least(done, 1), 60, "the first batch")
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # batches cut mid-transaction, arq jobs left in progress
            first.wait(10)
        assert 0 < await done() < REMINDERS

        second = worker_process({**env, "OUTBOX_STUCK_SECONDS": "0"})  # its relay re-sends what the dead one held
        try:
            await poll_until(lambda: _at_least(done, REMINDERS), 90, "every reminder")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)

        async with engine.connect() as conn:
            keys = Counter(
                (
                    await conn.execute(
                        sa.select(Notification.dedupe_key).where(Notification.kind == "reminder_sign_off")
                    )
                ).scalars()
            )
            states = Counter((await conn.execute(sa.select(OutboxJob.state).where(OutboxJob.job == REMIND))).scalars())
        assert len(keys) == REMINDERS and set(keys.values()) == {1}  # every reminder, once
        assert states == {"done": REMINDERS}
    finally:
        await forget_queued(jobs.redis, queue_name)
        await jobs.redis.aclose()
