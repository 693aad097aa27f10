"""抽签 through the worker: the draw queued at setup runs at its time; a lost job is found by the scan."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.models import LotteryDraw, Notification, Order, OutboxJob
from marketplace.models.base import utcnow

from ..test_fair_seats import bulk_members, lottery_session, register_all


async def _due_now(jobs, session_id: int) -> None:
    """Move the draw's times into the past (tests move time instead of sleeping)."""
    now = utcnow()
    await jobs.edit(
        LotteryDraw,
        session_id,
        opens_at=now - timedelta(hours=3),
        closes_at=now - timedelta(minutes=2),
        draw_at=now - timedelta(minutes=1),
    )


async def _states(jobs, session_id: int) -> list[str]:
    async with jobs.sessionmaker() as db:
        return sorted((await db.execute(sa.select(Order.state).where(Order.session_id == session_id))).scalars())


async def test_the_queued_draw_runs_once_at_its_time(client, factory, jobs):
    listing, session_id, _ = await lottery_session(client, factory, 2)
    await register_all(client, factory, listing, session_id, await bulk_members(factory, 5))
    assert [r.dedupe_key.split(":")[2] for r in await jobs.rows("draw_lottery")] == ["close", "draw"]
    await _due_now(jobs, session_id)
    await jobs.drain(utcnow() + timedelta(hours=3))
    assert await _states(jobs, session_id) == ["accepted"] * 2 + ["waitlisted"] * 3
    assert {r.state for r in await jobs.rows("draw_lottery")} == {"done"}
    assert len(await jobs.notices(kind="draw_won")) >= 2
    # the scan finds nothing more to do
    assert (await jobs.scan(utcnow()))["draw_lottery"] == 0


async def test_a_lost_draw_job_is_found_by_the_scan(client, factory, jobs):
    listing, session_id, _ = await lottery_session(client, factory, 1)
    await register_all(client, factory, listing, session_id, await bulk_members(factory, 3))
    async with jobs.sessionmaker() as db, db.begin():  # Redis and the outbox both lost it
        await db.execute(sa.delete(OutboxJob).where(OutboxJob.job == "draw_lottery"))
    await _due_now(jobs, session_id)
    assert (await jobs.scan(utcnow()))["draw_lottery"] == 1
    await jobs.drain()
    assert await _states(jobs, session_id) == ["accepted"] + ["waitlisted"] * 2
    async with jobs.sessionmaker() as db:
        told = (
            await db.execute(sa.select(sa.func.count()).where(Notification.kind.in_(["draw_won", "draw_waiting"])))
        ).scalar_one()
    assert told >= 3
