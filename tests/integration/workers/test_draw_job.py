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


async def test_an_unconfirmed_win_goes_to_the_next_in_draw_order(client, factory, jobs):
    listing, session_id, _ = await lottery_session(client, factory, 1, confirm_hours=6)
    await register_all(client, factory, listing, session_id, await bulk_members(factory, 4))
    await _due_now(jobs, session_id)
    await jobs.drain(utcnow() + timedelta(hours=3))
    async with jobs.sessionmaker() as db:
        rows = (await db.execute(sa.select(Order).where(Order.session_id == session_id))).scalars().all()
    winner = next(o for o in rows if o.state == "accepted")
    waiting = sorted((o for o in rows if o.state == "waitlisted"), key=lambda o: o.draw_rank)
    assert winner.confirm_by is not None and [o.draw_rank for o in waiting] == sorted(o.draw_rank for o in waiting)
    later = winner.confirm_by + timedelta(minutes=1)
    assert (await jobs.scan(later))["confirm_timeout"] == 1
    await jobs.drain(later)
    assert (await jobs.order(winner.id)).state == "cancelled"
    assert (await jobs.order(waiting[0].id)).state == "accepted"  # the first in draw order, not the first to come
    assert [(await jobs.order(o.id)).state for o in waiting[1:]] == ["waitlisted"] * 2


async def test_calling_a_lottery_session_off_ends_its_registrations(client, factory, jobs):
    from marketplace.domain.roles import Role

    listing, session_id, _ = await lottery_session(client, factory, 2)
    await register_all(client, factory, listing, session_id, await bulk_members(factory, 3))
    curator = await factory.user(Role.curator)
    r = await client.post(
        f"/api/v1/sessions/{session_id}/cancel", json={"reason": "场地维修"}, headers=factory.headers(curator)
    )
    assert r.status_code == 200, r.text
    assert await _states(jobs, session_id) == ["cancelled"] * 3
