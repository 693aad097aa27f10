"""Redis stopped for 30 s while members keep ordering and `marketplace worker` runs: the worker waits and
reconnects (no restart), orders keep being taken, and when Redis comes back empty every reminder (those it
held and lost, those due meanwhile, those due later) arrives once, within seconds — not after
OUTBOX_STUCK_SECONDS. Orders, seats, events and notices: nothing lost, nothing doubled. A worker started
while Redis is away waits for it."""

import asyncio
import secrets
import signal
import time
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.domain.roles import Role
from marketplace.lost_queue import marker_key
from marketplace.models import ListingSession, Notification, Order, OrderEvent, OutboxJob
from marketplace.models.base import utcnow
from marketplace.services.reminders import REMIND

from ...outages import poll_until, worker_process
from .conftest import forget_queued, make_jobs

OUTAGE_SECONDS = 30
# A reminder goes out this soon after the later of its due time and Redis's return (the worker's back-off
# is at most 2 s, the relay runs every 5 s; the rest is room for a busy 2-core machine).
PROMPTLY = timedelta(seconds=15)


async def test_the_worker_outlives_a_redis_outage_under_orders_and_every_reminder_arrives_once(
    settings, engine, factory, client, own_redis, tmp_path
):
    queue_name = f"outage-{secrets.token_hex(3)}"
    local = settings.model_copy(update={"redis_url": own_redis.url, "queue_name": queue_name})
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 200), (3, 200)], auto_accept=True)
    first, second = await factory.sessions_of(listing)
    crowd = iter(await factory.members(120))
    jobs = await make_jobs(local, engine)
    log = tmp_path / "worker.log"
    env = {
        "DATABASE_URL": local.database_url,
        "REDIS_URL": local.redis_url,
        "QUEUE_NAME": queue_name,
        "OUTBOX_STUCK_SECONDS": "600",  # the default: nothing here may wait for it
        "LOG_LEVEL": "INFO",  # every job in and out: shown if the reminders are late
    }
    worker = worker_process(env, log)
    try:
        # the worker is up once its relay has run (it leaves the marker)
        await poll_until(lambda: jobs.redis.exists(marker_key(queue_name)), 60, "the worker's first relay")
        placed: list = []
        per_session: Counter[int] = Counter()

        async with AsyncTestClient(app=create_app(local)) as app:

            async def order_for(seconds: float, per_second: float) -> None:
                until = time.monotonic() + seconds
                while time.monotonic() < until:
                    member = next(crowd)
                    session = first if len(placed) % 2 else second
                    body = {"listing_id": listing.id, "session_id": session.id}
                    answer = await app.post("/api/v1/orders", json=body, headers=factory.headers(member))
                    placed.append(answer)
                    per_session[session.id] += 1
                    await asyncio.sleep(1 / per_second)

            # "in one hour" reminders: the first session's fall due during the outage (handed to Redis before
            # it and lost with it), the second's after Redis is back
            await factory.move_session(first.id, timedelta(hours=1, seconds=15))
            await factory.move_session(second.id, timedelta(hours=1, seconds=OUTAGE_SECONDS + 15))
            await order_for(5, 4)
            own_redis.stop()
            await order_for(OUTAGE_SECONDS, 2)
            assert worker.poll() is None, "the worker ended while Redis was away"
            own_redis.start()  # back, and empty
            back_at = utcnow()
            await order_for(4, 4)

        async def all_sent() -> bool:
            async with engine.connect() as conn:
                waiting = (
                    await conn.execute(
                        sa.select(sa.func.count())
                        .select_from(OutboxJob)
                        .where(OutboxJob.job == REMIND, OutboxJob.state.in_(["pending", "sent"]))
                    )
                ).scalar_one()
            return waiting == 0  # the second session's are waiting for their time until then

        try:
            await poll_until(all_sent, 90, "every reminder")
        except AssertionError as late:  # what the worker was doing, for whoever reads the failure
            raise AssertionError(f"{late}; the worker's log ends:\n{log.read_text()[-4000:]}") from None
        assert worker.poll() is None, "the worker ended"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        await forget_queued(jobs.redis, queue_name)
        await jobs.redis.aclose()

    said = log.read_text()
    assert "Redis is back" in said, said[-2000:]
    assert [r.status_code for r in placed if r.status_code != 201] == []  # ordering never stopped
    order_ids = [r.json()["id"] for r in placed]

    async with engine.connect() as conn:
        members = sa.select(Order.member_id).where(Order.listing_id == listing.id)
        orders = Counter((await conn.execute(members)).scalars())
        seats = dict((await conn.execute(sa.select(ListingSession.id, ListingSession.seats_taken))).all())
        events = Counter((await conn.execute(sa.select(OrderEvent.order_id))).scalars())
        rows = (
            await conn.execute(sa.select(OutboxJob.dedupe_key, OutboxJob.state, OutboxJob.due_at, OutboxJob.args))
        ).all()
        notices = (await conn.execute(sa.select(Notification.dedupe_key, Notification.created_at))).all()
    assert len(orders) == len(placed) == len(set(order_ids)) and set(orders.values()) == {1}
    assert seats == per_session
    assert len(set(events.values())) == 1 and set(events) == set(order_ids)  # the same timeline for each

    reminders = {key: (state, due) for key, state, due, args in rows if args.get("kind") == "hour_before"}
    assert {state for state, _ in reminders.values()} == {"done"}
    sent = Counter(key for key, _ in notices)
    assert set(sent.values()) == {1}  # no notice twice
    assert set(reminders) <= set(sent)  # every "in one hour" reminder arrived
    assert sum(1 for key in sent if key.endswith(":auto_accepted")) == len(placed)  # and every 新报名 notice
    lost_in_the_outage = [key for key, (_, due) in reminders.items() if due < back_at]
    assert lost_in_the_outage, "no reminder fell due while Redis was away"
    created = dict(notices)
    late = {key: created[key] - max(due, back_at) for key, (_, due) in reminders.items()}
    assert max(late.values()) < PROMPTLY, sorted(late.values())[-3:]


async def test_a_worker_started_while_redis_is_away_waits_for_it_and_stops_cleanly_without_it(
    settings, engine, client, own_redis, tmp_path
):
    queue_name = f"late-{secrets.token_hex(3)}"
    own_redis.stop()
    log = tmp_path / "worker.log"
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": own_redis.url, "QUEUE_NAME": queue_name}
    worker = worker_process({**env, "LOG_LEVEL": "WARNING"}, log)

    def said(text: str, times: int = 1):
        async def check() -> bool:
            return log.read_text().count(text) >= times

        return check

    try:
        await poll_until(said("Redis unreachable"), 30, "the worker to find Redis away")
        await asyncio.sleep(1)  # and to try again, still away
        assert worker.poll() is None, log.read_text()[-2000:]
        own_redis.start()
        local = settings.model_copy(update={"redis_url": own_redis.url, "queue_name": queue_name})
        jobs = await make_jobs(local, engine)
        try:
            await poll_until(lambda: jobs.redis.exists(marker_key(queue_name)), 30, "the worker's first relay")
            await forget_queued(jobs.redis, queue_name)
        finally:
            await jobs.redis.aclose()
        assert "Redis is back" in log.read_text()
        own_redis.stop()  # away again, and the worker is told to stop meanwhile
        await poll_until(said("Redis unreachable", 2), 30, "the worker to find Redis away again")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    assert worker.returncode == 0, log.read_text()[-2000:]
    assert "the worker stops with Redis unreachable" in log.read_text()


async def test_healthz_says_unavailable_with_retry_after_while_redis_is_away_then_ok(settings, own_redis):
    local = settings.model_copy(update={"redis_url": own_redis.url, "queue_name": f"mkt-health-{own_redis.port}"})
    async with AsyncTestClient(app=create_app(local)) as app:
        assert (await app.get("/healthz")).status_code == 200
        own_redis.stop()
        away = await app.get("/healthz")
        assert away.status_code == 503 and away.headers["retry-after"] == "5"
        assert away.json() == {"status": "unavailable"}
        own_redis.start()
        assert (await app.get("/healthz")).status_code == 200  # no restart needed
