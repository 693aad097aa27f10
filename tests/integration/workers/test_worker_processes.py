"""Processes that add up: two `marketplace worker` processes on one queue (WORKER_PROCESSES=2) share the
work — needs matched and reminders sent — and nothing is done twice."""

import os
import secrets
import signal
from collections import Counter

import sqlalchemy as sa

from marketplace.cli import children
from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.models import Notification, Offer, OutboxJob
from marketplace.queue import enqueue_many
from marketplace.schemas.orders import OrderIn
from marketplace.services import orders
from marketplace.services.reminders import REMIND

from ...outages import poll_until, worker_process
from .conftest import forget_queued, make_jobs

NEEDS, REMINDERS = 30, 1000
WATCHED = ["match_needs", REMIND]
DUE = OutboxJob.due_at <= sa.func.now()  # (a need also plans reminders days ahead: not due in this test)


def test_up_starts_the_configured_web_and_worker_processes(settings):
    two = children(settings.model_copy(update={"web_processes": 2, "worker_processes": 3}))
    assert two["web process"][-3:] == ["serve", "--workers", "2"]
    assert [name for name in two if name.startswith("worker")] == ["worker", "worker 2", "worker 3"]
    assert all(command[-1] == "worker" for name, command in two.items() if name.startswith("worker"))
    one = children(settings)
    assert list(one) == ["web process", "worker"] and one["web process"][-1] == "1"


async def test_two_workers_share_the_queue_and_do_nothing_twice(settings, engine, factory, client):
    queue_name = f"two-{secrets.token_hex(3)}"
    local = settings.model_copy(update={"queue_name": queue_name})
    category = await factory.category("书法培训")
    for _ in range(5):
        await factory.provider([category], capacity=10)
    members = await factory.members(3)
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 40)], auto_accept=True)
    delivered = [await factory.order_in_state(m, listing, "delivered") for m in await factory.members(20)]
    jobs = await make_jobs(local, engine)
    try:
        for n in range(NEEDS):  # one match job each, recorded for the workers' relay
            member = members[n % 3]
            await jobs.run(
                lambda db, m=member, n=n: orders.place_need(db, m, OrderIn(category_id=category.id, title=f"书法 {n}"))
            )
        planned = []
        for n in range(REMINDERS):
            key = f"two:{n}:remind:sign_off"
            order = delivered[n % len(delivered)]
            planned.append((REMIND, {"key": key, "kind": "sign_off", "to": "member", "order_id": order.id}, None, key))
        async with transaction(jobs.sessionmaker) as db:
            await enqueue_many(db, planned)
        env = {
            **os.environ,
            "DATABASE_URL": local.database_url,
            "REDIS_URL": local.redis_url,
            "QUEUE_NAME": queue_name,
            "MATCH_BATCH_SIZE": "1",  # many small matching transactions for the two to race over
            "LOG_LEVEL": "WARNING",
        }
        workers = [worker_process(env), worker_process(env)]
        try:

            async def finished() -> bool:
                async with engine.connect() as conn:
                    open_jobs = (
                        await conn.execute(
                            sa.select(sa.func.count())
                            .select_from(OutboxJob)
                            .where(OutboxJob.state.in_(["pending", "sent"]), OutboxJob.job.in_(WATCHED), DUE)
                        )
                    ).scalar_one()
                return open_jobs == 0

            await poll_until(finished, 120, "every job to finish")
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(20)

        async with engine.connect() as conn:
            reminded = Counter(
                (
                    await conn.execute(
                        sa.select(Notification.dedupe_key).where(Notification.kind == "reminder_sign_off")
                    )
                ).scalars()
            )
            offers = Counter((await conn.execute(sa.select(Offer.order_id).where(Offer.state == "pending"))).scalars())
            offer_notices = Counter(
                data["order_id"]
                for data in (
                    await conn.execute(sa.select(Notification.data).where(Notification.kind == "offer"))
                ).scalars()
            )
            states = Counter(
                (await conn.execute(sa.select(OutboxJob.state).where(OutboxJob.job.in_(WATCHED), DUE))).scalars()
            )
        assert len(reminded) == REMINDERS and set(reminded.values()) == {1}  # every reminder, once
        assert len(offers) == NEEDS and set(offers.values()) == {1}  # every need offered, once
        assert len(offer_notices) == NEEDS and set(offer_notices.values()) == {1}
        assert set(states) == {"done"}, states
    finally:
        await forget_queued(jobs.redis, queue_name)
        await jobs.redis.aclose()
