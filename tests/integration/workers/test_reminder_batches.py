"""Reminders go to arq in batches and run with set-based statements: one bad row is retried alone,
a reminder that stopped being true in a batch says nothing, and a batch handed out again (Redis lost
it, its worker died) writes each notice once."""

from datetime import timedelta

from marketplace import queue
from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.models import Order, OutboxJob
from marketplace.models.base import utcnow
from marketplace.services import notices
from marketplace.services.reminders import REMIND

from .conftest import forget_queued


async def _delivered(factory, n: int) -> list[Order]:
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 10)], auto_accept=True)
    return [await factory.order_in_state(member, listing, "delivered") for member in await factory.members(n)]


def _sign_off(order: Order, key: str | None = None) -> tuple:
    key = key or f"test:{order.id}:remind:sign_off"
    return (REMIND, {"key": key, "kind": "sign_off", "to": "member", "order_id": order.id}, utcnow(), key)


async def _record(jobs, planned: list[tuple]) -> list[OutboxJob]:
    """Outbox rows due now, recorded without sending them (as if Redis were down at the commit)."""
    async with transaction(jobs.sessionmaker) as db:
        await queue.enqueue_many(db, planned)
    return await jobs.rows(REMIND)


async def _send(jobs) -> int:
    async with jobs.sessionmaker() as db, db.begin():
        return await queue.send_jobs(db, jobs.redis, jobs.queue_name, None, now=utcnow())


async def _sign_offs(jobs) -> list[int]:
    return sorted(n.data["order_id"] for n in await jobs.notices(kind="reminder_sign_off"))


async def test_reminders_due_together_go_to_arq_as_one_job(client, factory, jobs):
    orders = await _delivered(factory, 6)
    await _record(jobs, [_sign_off(o) for o in orders])
    assert await _send(jobs) == 6
    assert await jobs.redis.zcard(jobs.queue_name) == 1  # one arq job for the six rows
    assert {(r.state, r.sends) for r in await jobs.rows(REMIND)} == {("sent", 1)}
    await jobs.drain()
    assert await _sign_offs(jobs) == sorted(o.id for o in orders)
    assert {(r.state, r.attempts) for r in await jobs.rows(REMIND)} == {("done", 1)}


async def test_a_bad_row_in_a_batch_is_retried_alone_and_the_others_go_out(client, factory, jobs):
    orders = await _delivered(factory, 4)
    bad = (REMIND, {"key": "test:bad", "kind": "sign_off", "to": "member"}, utcnow(), "test:bad")  # no order
    await _record(jobs, [_sign_off(orders[0]), _sign_off(orders[1]), bad, _sign_off(orders[2]), _sign_off(orders[3])])
    await _send(jobs)
    assert await jobs.redis.zcard(jobs.queue_name) == 1
    await jobs.drain()
    assert await _sign_offs(jobs) == sorted(o.id for o in orders)
    rows = {r.dedupe_key: r for r in await jobs.rows(REMIND)}
    failed = rows.pop("test:bad")
    assert (failed.state, failed.attempts) == ("pending", 1) and failed.last_error.startswith("KeyError")
    assert failed.due_at > utcnow()  # retried with back-off, on its own
    assert {r.state for r in rows.values()} == {"done"}


async def test_a_reminder_that_stopped_being_true_in_a_batch_says_nothing(client, factory, jobs):
    kept, cancelled, dropped = await _delivered(factory, 3)
    rows = await _record(jobs, [_sign_off(kept), _sign_off(cancelled), _sign_off(dropped)])
    await _send(jobs)  # the batch is in Redis …
    await jobs.edit(Order, cancelled.id, state="cancelled")  # … when one order is cancelled
    dropped_row = next(r for r in rows if r.args["order_id"] == dropped.id)
    await jobs.edit(OutboxJob, dropped_row.id, state="cancelled")  # … and one reminder is dropped
    await jobs.drain()
    assert await _sign_offs(jobs) == [kept.id]
    states = {r.args["order_id"]: r.state for r in await jobs.rows(REMIND)}
    assert states == {kept.id: "done", cancelled.id: "done", dropped.id: "cancelled"}


async def test_a_batch_sent_but_never_finished_is_sent_again_without_doubling_notices(client, factory, jobs):
    orders = await _delivered(factory, 5)
    await _record(jobs, [_sign_off(o) for o in orders])
    await _send(jobs)
    # The worker running the batch died (or Redis lost it): the rows stay `sent`, the job is gone,
    # and one notice had already been written (by an earlier run of that row alone).
    await forget_queued(jobs.redis, jobs.queue_name)
    first = orders[0]
    await jobs.run(
        lambda db: notices.notify(
            db,
            first.member_id,
            first.market_id,
            "reminder_sign_off",
            "x",
            "",
            {"order_id": first.id},
            dedupe_key=f"test:{first.id}:remind:sign_off",
        )
    )
    assert {r.state for r in await jobs.rows(REMIND)} == {"sent"}
    await jobs.drain()  # not stuck yet: nothing is sent again
    assert {r.state for r in await jobs.rows(REMIND)} == {"sent"}
    await jobs.drain(stuck_after=timedelta(0))  # the relay re-sends what never ran
    assert await _sign_offs(jobs) == sorted(o.id for o in orders)  # each once
    assert {(r.state, r.sends) for r in await jobs.rows(REMIND)} == {("done", 2)}
