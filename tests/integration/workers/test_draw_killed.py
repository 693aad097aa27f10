"""Issue #15, "Done when": the burst draw (2,000 registrations, 30 seats, a 20 % reserve) run by a real
`marketplace worker` process that is killed with SIGKILL in the middle of the draw: nothing of the cut
draw stays, a second worker draws exactly once, with the seed committed at opening, and
`marketplace verify-draw` recomputes the same order from the published JSON alone."""

import json
import os
import secrets
import signal
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from marketplace import queue
from marketplace.cli import app as cli
from marketplace.db import make_sessionmaker
from marketplace.domain import lottery as rules
from marketplace.models import LotteryDraw, Notification
from marketplace.models.base import utcnow
from marketplace.services import lottery

from ...outages import poll_until, worker_process
from ..test_fair_seats import bulk_members, lottery_session, register_all, seats_taken, states
from .conftest import forget_queued, make_jobs


async def _draw_locked(engine, session_id: int) -> bool:
    """True while another transaction holds the draw row (only the draw takes it once registration closed)."""
    async with engine.connect() as conn:
        try:
            await conn.execute(
                sa.select(LotteryDraw.session_id)
                .where(LotteryDraw.session_id == session_id)
                .with_for_update(nowait=True)
            )
        except DBAPIError:
            return True
        finally:
            await conn.rollback()
    return False


async def test_a_worker_killed_during_the_burst_draw_changes_nothing(client, factory, engine, settings, tmp_path):
    queue_name = f"drawkill-{secrets.token_hex(3)}"
    local = settings.model_copy(update={"queue_name": queue_name})
    sessionmaker = make_sessionmaker(engine, local)
    listing, session_id, opened = await lottery_session(
        client, factory, 30, percent=20, groups=["new_employment", "hardship"]
    )
    crowd = await bulk_members(
        factory, 2000, lambda i: ["new_employment"] if i % 20 == 0 else (["hardship"] if i % 37 == 0 else [])
    )
    answers = await register_all(client, factory, listing, session_id, crowd)
    assert {a.status_code for a in answers} == {201}

    # Registration closes (entries published); the draw is due now.
    async with sessionmaker() as db, db.begin():
        draw = await db.get(LotteryDraw, session_id)
        draw.closes_at = utcnow() - timedelta(seconds=2)
    async with sessionmaker() as db, db.begin():
        assert await lottery.run(db, session_id) == "closed"
    async with sessionmaker() as db, db.begin():
        draw = await db.get(LotteryDraw, session_id)
        assert draw.closed_at is not None and len(draw.entries) == 2000
        draw.draw_at = utcnow() - timedelta(seconds=1)
        sealed_seed = lottery._unseal(db, session_id, draw.seed_sealed)  # what the commitment binds
    assert rules.commitment(sealed_seed) == opened["commitment"]
    before = await states(engine, session_id)

    jobs = await make_jobs(local, engine)
    env = {
        "DATABASE_URL": local.database_url,
        "REDIS_URL": local.redis_url,
        "QUEUE_NAME": queue_name,
        "SECRET_KEY": local.secret_key,
        "DATA_DIR": str(local.data_dir),
        "LOG_LEVEL": "WARNING",
    }
    try:
        await jobs.run(
            lambda db: queue.enqueue_many(
                db, [("draw_lottery", {"session_id": session_id}, None, f"kill:{session_id}")]
            )
        )
        first = worker_process(env, tmp_path / "first.log")
        try:
            await poll_until(lambda: _draw_locked(engine, session_id), 90, "the worker to be drawing")
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # in the middle of the draw's transaction
            first.wait(10)

        async def released() -> bool:
            return not await _draw_locked(engine, session_id)

        await poll_until(released, 60, "PostgreSQL to roll the cut draw back")
        # nothing of the cut draw stays: no seat, no move, no notice, no seed
        assert await states(engine, session_id) == before
        assert await seats_taken(engine, session_id) == 0
        async with sessionmaker() as db:
            draw = await db.get(LotteryDraw, session_id)
            assert draw.drawn_at is None and draw.seed is None and draw.results is None
            told = await db.scalar(
                sa.select(sa.func.count()).where(
                    Notification.kind.in_(["draw_won", "draw_waiting"]),
                    Notification.data["session_id"].as_integer() == session_id,
                )
            )
            assert told == 0

        second = worker_process({**env, "OUTBOX_STUCK_SECONDS": "0"}, tmp_path / "second.log")
        try:

            async def drawn() -> bool:
                async with sessionmaker() as db:
                    return (await db.get(LotteryDraw, session_id)).drawn_at is not None

            await poll_until(drawn, 120, "the second worker to draw")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        await forget_queued(jobs.redis, queue_name)
        await jobs.redis.aclose()

    published = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    assert published["seed"] == sealed_seed  # the seed committed at opening, not another
    found = await states(engine, session_id)
    accepted = {oid for oid, (state, _, _) in found.items() if state == "accepted"}
    assert len(accepted) == 30 and await seats_taken(engine, session_id) == 30
    # the reserve: 6 seats to the first priority entries in draw order
    priority = [r["entry"] for r in published["results"] if r["priority"]]
    assert [r["entry"] for r in published["results"] if r["reserve"]] == priority[:6]
    assert set(priority[:6]) <= accepted
    # the rest wait in draw order
    order = rules.draw_order(sealed_seed, sorted(before))
    waiting = [oid for _, oid in sorted((rank, oid) for oid, (s, rank, _) in found.items() if s == "waitlisted")]
    assert waiting == [e for e in order if e not in accepted] and len(waiting) == 1970
    # the command recomputes the same order and winners from the published JSON alone
    saved = tmp_path / "draw.json"
    saved.write_text(json.dumps(published))
    result = CliRunner().invoke(cli, ["verify-draw", str(session_id), "--file", str(saved)])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [int(entry) for _, entry, _ in lines] == order
    assert {int(entry) for _, entry, outcome in lines if outcome == "won"} == accepted
    # each member told once, whatever the killed worker had begun
    async with engine.connect() as conn:
        per_order = (
            await conn.execute(
                sa.text(
                    "SELECT (data->>'order_id')::int, count(*) FROM notifications "
                    "WHERE kind IN ('draw_won', 'draw_waiting') AND (data->>'session_id')::int = :sid GROUP BY 1"
                ),
                {"sid": session_id},
            )
        ).all()
        events = (
            await conn.execute(
                sa.text(
                    "SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id "
                    "WHERE o.session_id = :sid AND e.action IN ('win', 'win_offer', 'lose')"
                ),
                {"sid": session_id},
            )
        ).scalar_one()
    assert len(per_order) == 2000 and {n for _, n in per_order} == {1}
    assert events == 2000  # one draw move per entry: drawn exactly once
