"""PostgreSQL unreachable under load, for the web app and `marketplace worker` alike: every request answers
503 with Retry-After (JSON on the API, a page in the visitor's language on the pages), never 500; once the
database is back the same app serves again, orders retried with their idempotency keys are placed exactly
once, and the reminders that fell due meanwhile arrive once, within seconds, from the same worker."""

import asyncio
import secrets
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from arq import Retry, create_pool
from litestar.testing import AsyncTestClient

from marketplace import auth, queue
from marketplace.app import create_app
from marketplace.db import make_engine, make_sessionmaker
from marketplace.domain.roles import Role
from marketplace.jobs import periodic
from marketplace.lost_queue import marker_key
from marketplace.models import ListingSession, Notification, Order, OrderEvent, OutboxJob
from marketplace.models.base import utcnow
from marketplace.services.reminders import REMIND

from ...outages import CuttableProxy, poll_until, worker_process
from .conftest import forget_queued, make_jobs

MEMBERS = 60
CUT_AFTER, CUT_FOR = 1.0, 4.0  # seconds into the load; the "in one hour" reminders fall due in between
PROMPTLY = timedelta(seconds=15)  # after the later of a reminder's time and the database's return


@pytest.fixture
async def proxy(settings):
    found = CuttableProxy(settings.database_url)
    found.mend()
    yield found
    found.close()


def _cookie(factory, member, lang: str | None = None) -> dict[str, str]:
    cookie = f"{auth.SESSION_COOKIE}={factory.token(member)}"
    return {"Cookie": cookie + (f"; mkt_lang={lang}" if lang else "")}


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert int(response.headers["retry-after"]) > 0


async def test_an_unreachable_database_answers_503_and_everything_recovers_by_itself(
    settings, factory, engine, proxy, client, tmp_path
):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, MEMBERS)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    crowd = await factory.members(MEMBERS)
    body = {"listing_id": listing.id, "session_id": session_id}
    local = settings.model_copy(update={"database_url": proxy.database_url, "queue_name": f"pg-{secrets.token_hex(3)}"})
    jobs = await make_jobs(local, engine)
    log = tmp_path / "worker.log"
    env = {"DATABASE_URL": local.database_url, "REDIS_URL": local.redis_url, "QUEUE_NAME": local.queue_name}
    worker = worker_process({**env, "OUTBOX_STUCK_SECONDS": "600", "LOG_LEVEL": "WARNING"}, log)
    try:
        await poll_until(lambda: jobs.redis.exists(marker_key(local.queue_name)), 60, "the worker's first relay")
        async with AsyncTestClient(app=create_app(local)) as app:

            async def order(n: int):
                headers = {**factory.headers(crowd[n]), "Idempotency-Key": f"outage-{n}"}
                return await app.post("/api/v1/orders", json=body, headers=headers)

            answers: dict[int, list] = {n: [] for n in range(MEMBERS)}
            others: list = []

            async def member(n: int) -> None:
                # each member orders, then looks at their orders on the API and on a page, over and over
                while time.monotonic() < stop_at:
                    answers[n].append((time.monotonic(), await order(n)))
                    others.append(await app.get("/api/v1/orders", headers=factory.headers(crowd[n])))
                    others.append(await app.get("/orders", headers=_cookie(factory, crowd[n])))
                    await asyncio.sleep(0.05)  # a person's pace, not a tight loop of refusals

            # the session starts in an hour and a bit: its "in one hour" reminders fall due mid-outage
            await factory.move_session(session_id, timedelta(hours=1, seconds=CUT_AFTER + CUT_FOR / 2))
            stop_at = time.monotonic() + CUT_AFTER + CUT_FOR + 2
            load = asyncio.gather(*(member(n) for n in range(MEMBERS)))
            await asyncio.sleep(CUT_AFTER)
            proxy.cut()
            cut_at = time.monotonic()
            await asyncio.sleep(0.5)
            # while it is away: a JSON 503 on the API, a page in Chinese (or English) on the pages
            api = await app.get("/api/v1/orders", headers=factory.headers(crowd[0]))
            page_zh = await app.get("/orders", headers=_cookie(factory, crowd[0]))
            page_en = await app.get("/orders", headers=_cookie(factory, crowd[0], "en"))
            await asyncio.sleep(CUT_FOR - 0.5)
            assert worker.poll() is None, "the worker ended while the database was away"
            proxy.mend()
            mended_at, back_at = time.monotonic(), utcnow()
            await load
            # the same app serves again without a restart; members who were refused retry with their keys
            retried = [(await order(n)).status_code for n in range(MEMBERS)]
            page_after = await app.get("/orders", headers=_cookie(factory, crowd[0]))

        async def reminders_done() -> bool:
            async with engine.connect() as conn:
                waiting = sa.select(sa.func.count()).where(OutboxJob.job == REMIND, OutboxJob.state != "done")
                return (await conn.execute(waiting)).scalar_one() == 0

        await poll_until(reminders_done, 60, "every reminder")
        assert worker.poll() is None, "the worker ended"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        await forget_queued(jobs.redis, local.queue_name)
        await jobs.redis.aclose()

    assert set(retried) == {201} and page_after.status_code == 200
    # the worker met the outage and lived through it: a job waited for the database, or (when no job was
    # running during the cut, as on a busy machine) its periodic relay skipped a run
    met = log.read_text()
    assert "job waits" in met or "skipped, a server is unreachable" in met, met[-2000:]

    for response in (api, page_zh, page_en):
        _assert_unavailable(response)
    assert set(api.json()) == {"status_code", "detail", "extra"} and api.json()["status_code"] == 503
    assert "请稍后再试" in page_zh.text and "try again shortly" not in page_zh.text
    assert "try again shortly" in page_en.text

    everything = [r for n in answers for _, r in answers[n]] + others
    statuses = Counter(r.status_code for r in everything)
    assert set(statuses) <= {200, 201, 503}, statuses  # no 500, nothing else
    assert statuses[503] > 0 and statuses[200] > 0
    for response in everything:
        if response.status_code == 503:
            _assert_unavailable(response)
    # every request that started while the database was away was answered 503
    during = [r for n in answers for at, r in answers[n] if cut_at + 0.2 < at < mended_at]
    assert during and {r.status_code for r in during} == {503}

    async with engine.connect() as conn:
        members = sa.select(Order.member_id).where(Order.session_id == session_id)
        placed = Counter((await conn.execute(members)).scalars())
        taken = (
            await conn.execute(sa.select(ListingSession.seats_taken).where(ListingSession.id == session_id))
        ).scalar_one()
        events = Counter((await conn.execute(sa.select(OrderEvent.order_id))).scalars())
        rows = (await conn.execute(sa.select(OutboxJob.dedupe_key, OutboxJob.due_at, OutboxJob.state))).all()
        notices = dict((await conn.execute(sa.select(Notification.dedupe_key, Notification.created_at))).all())
    assert placed == {member.id: 1 for member in crowd}  # one order each, however often it was retried
    assert taken == MEMBERS
    assert len(set(events.values())) == 1 and len(events) == MEMBERS  # every order with the same timeline
    reminders = Counter(key.split(":")[1] for key, _, _ in rows if key.startswith("order:"))
    assert len(set(reminders.values())) == 1 and len(reminders) == MEMBERS  # and the same reminders
    assert {state for _, _, state in rows} == {"done"}
    assert set(notices) >= {key for key, _, _ in rows}  # every reminder arrived (notices are unique by key)
    assert [key for key, due, _ in rows if due < back_at], "no reminder fell due while the database was away"
    late = sorted(notices[key] - max(due, back_at) for key, due, _ in rows)
    assert late[-1] < PROMPTLY, late[-3:]


async def test_periodic_jobs_ride_out_an_unreachable_database(settings, proxy, client):
    proxy.cut()
    engine = make_engine(proxy.database_url, settings)
    redis = await create_pool(queue.redis_settings(settings.redis_url))
    ctx = {"settings": settings, "sessionmaker": make_sessionmaker(engine, settings), "redis": redis, "job_try": 3}
    ctx["queue_name"] = f"pg-{secrets.token_hex(3)}"
    try:
        # the frequent ones skip a run with a line in the log: the next comes in seconds
        for job in (periodic.relay_outbox, periodic.scan_deadlines, periodic.match_open_needs):
            assert await job(ctx) is None
        # the daily ones are run again by arq once the database is back: 1, 2, 4 … s later
        for job in (periodic.nightly, periodic.daily_digest):
            with pytest.raises(Retry) as retry:
                await job(ctx)
            assert retry.value.defer_score == 4000
    finally:
        await redis.delete(marker_key(ctx["queue_name"]))
        await redis.aclose()
        await engine.dispose()
