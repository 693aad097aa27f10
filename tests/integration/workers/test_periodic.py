"""The nightly star levels and the operators' daily digest of stuck orders."""

from datetime import timedelta

from marketplace.domain.roles import Role
from marketplace.jobs import periodic
from marketplace.models import Order, ProviderProfile
from marketplace.models.base import utcnow
from marketplace.services import digest, star_levels


async def test_star_levels_are_recomputed_from_delivered_work(factory, jobs):
    provider = await factory.user(Role.provider)
    idle = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 10)])
    for member in await factory.members(6):
        await factory.order_in_state(member, listing, "accepted")
    async with factory.sessionmaker() as db, db.begin():
        for order in (await db.execute(Order.__table__.select())).all():
            await db.execute(Order.__table__.update().where(Order.id == order.id).values(state="reviewed"))
        profile = await db.get(ProviderProfile, provider.id)
        profile.rating_score = 4.85
    assert await jobs.run(star_levels.recompute) == {"providers": 2, "changed": 1}
    async with factory.sessionmaker() as db:
        # rating 4.85 → 2, six delivered → 0.5, fewer than 3 offers → 0.5: 1 + 3 = 4 stars
        assert (await db.get(ProviderProfile, provider.id)).star_level == 4
        assert (await db.get(ProviderProfile, idle.id)).star_level == 0  # nothing delivered yet
    assert (await jobs.run(star_levels.recompute))["changed"] == 0  # nightly runs are idempotent


async def test_the_daily_digest_tells_operators_what_is_stuck_once_a_day(client, factory, jobs):
    operator = await factory.user(Role.operator)
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 10)])
    a, b, c = await factory.members(3)
    offered = await factory.order_in_state(a, listing, "offered")
    await factory.order_in_state(b, listing, "disputed")
    delivered = await factory.order_in_state(c, listing, "delivered")
    # a session that ended yesterday whose provider recorded nothing, and a need nobody took for hours
    yesterday = await factory.listing(provider, await factory.category(), sessions=[(-1, 10)])
    overdue = await factory.order_in_state(a, yesterday, "accepted")
    [need_id] = await factory.needs([b], await factory.category(), 1)
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            Order.__table__.update().where(Order.id == delivered.id).values(delivered_at=utcnow() - timedelta(days=3))
        )
        await db.execute(
            Order.__table__.update().where(Order.id == need_id).values(created_at=utcnow() - timedelta(hours=5))
        )
    assert await jobs.run(lambda db: digest.send_digest(db)) == {"markets": 1, "operators": 1}
    [notice] = await jobs.notices(operator.id, "stuck_digest")
    # the offered order has no pending offer row past its deadline: not stuck yet
    assert notice.data["counts"] == {
        "offered_too_long": 0,
        "placed_unmatched": 1,
        "accepted_overdue": 1,
        "not_signed_off": 1,
        "disputed": 1,
    }
    assert notice.data["order_ids"]["not_signed_off"] == [delivered.id]
    assert notice.data["order_ids"]["accepted_overdue"] == [overdue.id]
    assert notice.data["order_ids"]["placed_unmatched"] == [need_id]
    assert "服务时间已过未记录 1 单" in notice.body and "最久的一单已等待 3 天" in notice.body
    assert offered.id not in notice.data["order_ids"]["offered_too_long"]
    assert await jobs.run(lambda db: digest.send_digest(db)) == {"markets": 1, "operators": 1}
    assert len(await jobs.notices(operator.id, "stuck_digest")) == 1  # the same day: still one
    await jobs.run(lambda db: digest.send_digest(db, utcnow() + timedelta(days=1)))
    assert len(await jobs.notices(operator.id, "stuck_digest")) == 2


async def test_the_cron_jobs_run_and_say_what_they_did(factory, jobs):
    category = await factory.category("书法培训")
    await factory.provider([category], capacity=5)
    [need_id] = await factory.needs(await factory.members(1), category, 1)  # left behind: no job was queued
    ctx = {
        "settings": jobs.settings,
        "sessionmaker": jobs.sessionmaker,
        "redis": jobs.redis,
        "queue_name": jobs.queue_name,
    }
    assert await periodic.match_open_needs(ctx) == {"markets": 1, "offered": 1, "unmatched": 0}
    assert (await jobs.order(need_id)).state == "offered"
    assert await periodic.match_open_needs(ctx) == {"markets": 0, "offered": 0, "unmatched": 0}
    assert set(await periodic.scan_deadlines(ctx)) >= {"offer_timeout", "expire_need", "auto_receive"}
    assert await periodic.relay_outbox(ctx) == 0  # the offer's notice needs no job; its reminder is not due
    assert (await periodic.nightly(ctx))["providers"] == 1
    assert await periodic.daily_digest(ctx) == {"markets": 0, "operators": 0}
    noted = await periodic.fold_figures(ctx)  # the desk's figures: the first run notes the range of events
    folded = await periodic.fold_figures(ctx)  # the next folds it: the one day the need's events touch
    assert noted["folded_to"] == 0 and folded["folded_to"] > 0 and folded["days"] == 1
