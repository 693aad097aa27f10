import asyncio

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from marketplace import migrate
from marketplace.db import make_engine
from marketplace.domain.roles import Role
from marketplace.models import Market, Offer, Order, OrderEvent, OutboxJob
from marketplace.models.base import utcnow

from ..factories import Factory
from ..servers import _with_database


async def test_upgrade_downgrade_upgrade_and_no_drift(servers):
    name = servers.database_name + "_mig"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        await asyncio.to_thread(migrate.downgrade, url, "base")
        await asyncio.to_thread(migrate.upgrade, url)
        # `alembic check`: raises when the models and the migrations disagree
        await asyncio.to_thread(command.check, migrate.alembic_config(url))
    finally:
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_upgrade_if_behind_skips_a_database_at_head(servers):
    name = servers.database_name + "_behind"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    try:
        assert await asyncio.to_thread(migrate.upgrade_if_behind, url) is True
        assert await asyncio.to_thread(migrate.upgrade_if_behind, url) is False
    finally:
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_0004_withdraws_live_duplicates_of_an_on_request_listing_and_keeps_the_first(servers, settings):
    """Before 0004 a member could hold several live orders of one on-request listing: the migration keeps
    the first, withdraws the rest through the table's `withdraw_duplicate` (an event each), with their
    pending offers and reminders, and then the unique index holds the rule."""
    name = servers.database_name + "_dup"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    engine = make_engine(url, settings)
    try:
        # The rows are written with today's models at head (so later columns never break this test), with
        # the rule's index swapped for a plain one; then the schema goes back to 0003 and 0004 runs over them.
        await asyncio.to_thread(migrate.upgrade, url)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        async with sessionmaker() as db, db.begin():
            market = Market(slug="dup", name_zh="测试", name_en="Test")
            db.add(market)
            await db.execute(sa.text("DROP INDEX uq_orders_member_on_request_live"))
            await db.execute(sa.text("CREATE INDEX uq_orders_member_on_request_live ON orders (member_id)"))
        factory = Factory(sessionmaker, settings, market.id)
        provider, member = await factory.user(Role.provider), await factory.user()
        listing = await factory.listing(provider, await factory.category(), shape="on_request")
        other = await factory.listing(provider, await factory.category(), shape="on_request")
        first = await factory.order_in_state(member, listing, "accepted")
        second = await factory.order_in_state(member, listing, "offered")
        third = await factory.order_in_state(member, listing, "placed")
        elsewhere = await factory.order_in_state(member, other, "placed")  # another listing: untouched
        async with sessionmaker() as db, db.begin():
            db.add(Offer(market_id=market.id, order_id=second.id, provider_id=provider.id, deadline_at=utcnow()))
            db.add(OutboxJob(job="remind", dedupe_key=f"order:{second.id}:remind:offer:1"))
        await engine.dispose()  # the downgrade drops tables this pool's connections may hold
        await asyncio.to_thread(migrate.downgrade, url, "2026_11_22_0003")

        await asyncio.to_thread(migrate.upgrade, url, "2026_11_29_0004")

        async with sessionmaker() as db:
            # only the columns 0004 knows (the model has later ones)
            states = dict((await db.execute(sa.select(Order.id, Order.state))).all())
            events = (
                await db.execute(
                    sa.select(
                        OrderEvent.order_id,
                        OrderEvent.action,
                        OrderEvent.from_state,
                        OrderEvent.to_state,
                        OrderEvent.actor_role,
                    ).order_by(OrderEvent.order_id)
                )
            ).all()
            offer = (await db.execute(sa.select(Offer))).scalar_one()
            job = (await db.execute(sa.select(OutboxJob))).scalar_one()
        assert states == {first.id: "accepted", second.id: "cancelled", third.id: "cancelled", elsewhere.id: "placed"}
        assert [(e.order_id, e.action, e.from_state, e.to_state, e.actor_role) for e in events] == [
            (second.id, "withdraw_duplicate", "offered", "cancelled", "system"),
            (third.id, "withdraw_duplicate", "placed", "cancelled", "system"),
        ]
        assert (offer.state, job.state) == ("withdrawn", "cancelled")
        await engine.dispose()
        await asyncio.to_thread(migrate.upgrade, url)  # today's models write today's columns
        with pytest.raises(IntegrityError):  # from now on PostgreSQL holds the rule
            await factory.order_in_state(member, listing, "placed")
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_thread_migration_turns_free_text_tags_naming_a_quick_tag_into_its_code(servers, settings):
    """Reviews written before the fixed list keep their tags: the Chinese words of a quick tag become its
    code (once, in its first place), other words stay as written."""
    name = servers.database_name + "_tags"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    engine = make_engine(url, settings)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        async with sessionmaker() as db, db.begin():
            market = Market(slug="tags", name_zh="测试", name_en="Test")
            db.add(market)
        factory = Factory(sessionmaker, settings, market.id)
        provider, member = await factory.user(Role.provider), await factory.user()
        listing = await factory.listing(provider, await factory.category())
        order = await factory.order_in_state(member, listing, "reviewed")
        async with sessionmaker() as db, db.begin():
            await db.execute(
                sa.text(
                    "INSERT INTO reviews (market_id, order_id, provider_id, member_id, stars, tags, text) "
                    "VALUES (:m, :o, :p, :u, 5, ARRAY['准时', '实用', '收获大', '收获很大'], '')"
                ),
                {"m": market.id, "o": order.id, "p": provider.id, "u": member.id},
            )
        await engine.dispose()
        await asyncio.to_thread(migrate.downgrade, url, "2026_11_29_0009")
        await asyncio.to_thread(migrate.upgrade, url)
        async with sessionmaker() as db:
            tags = (await db.execute(sa.text("SELECT tags FROM reviews"))).scalar_one()
        assert tags == ["on_time", "实用", "rewarding"]
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_language_notices_gives_old_chinese_notices_their_messages(servers, settings):
    """Notices written before they were kept as messages: the migration reads the old sentences back, so they
    too are shown in the reader's language; what cannot be read back (a time without its year) stays."""
    from zoneinfo import ZoneInfo

    from marketplace.models import Notification
    from marketplace.services.notices import words

    name = servers.database_name + "_notices"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    old = [
        ("已接单：书法培训", "服务者已接受您的订单。"),
        ("「少儿编程」已通过审核并上架", "已发布在「第二批」，会员现在可以预约了。"),
        ("已自动签收：太极", "服务完成 7 天内未确认，系统已为您自动签收。欢迎评价。"),
        ("待您答复：太极", "请在 12月1日 09:30 前接单或婉拒。"),
        ("你好", "别人写的通知"),
    ]
    try:
        await asyncio.to_thread(migrate.upgrade, url, "2026_11_29_0009")
        raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            market = await raw.fetchval(
                "INSERT INTO markets (slug, name_zh, name_en, time_zone) VALUES ('m', '集市', 'M', 'Asia/Shanghai') "
                "RETURNING id"
            )
            user = await raw.fetchval(
                "INSERT INTO users (market_id, phone, name, password_hash, roles, groups, claimed_groups, is_active) "
                "VALUES ($1, '13500000001', '刘', 'x', '{member}', '{}', '{}', true) RETURNING id",
                market,
            )
            for title, body in old:
                await raw.execute(
                    "INSERT INTO notifications (market_id, user_id, kind, title, body, data) "
                    "VALUES ($1, $2, 'k', $3, $4, '{\"order_id\": 1}')",
                    market,
                    user,
                    title,
                    body,
                )
        finally:
            await raw.close()
        await asyncio.to_thread(migrate.upgrade, url)
        engine = make_engine(url, settings)
        try:
            async with async_sessionmaker(engine)() as db:
                rows = (await db.execute(sa.select(Notification).order_by(Notification.id))).scalars().all()
                shown = [words(n, "en", ZoneInfo("Asia/Shanghai")) for n in rows]
                assert all(n.data["order_id"] == 1 for n in rows)
        finally:
            await engine.dispose()
        assert shown == [
            ("Accepted: 书法培训", "The provider accepted your order."),
            ("“少儿编程” is approved and listed", "已发布在「第二批」，会员现在可以预约了。"),
            (
                "Signed off for you: 太极",
                "The service was not confirmed within 7 days of delivery, so it was signed off for you. You are "
                "welcome to review it.",
            ),
            ("Waiting for your answer: 太极", "请在 12月1日 09:30 前接单或婉拒。"),
            ("你好", "别人写的通知"),
        ]
        await asyncio.to_thread(migrate.downgrade, url, "2026_11_29_0009")
    finally:
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_eventparts_partitions_order_events_with_their_rows_and_back(servers, settings):
    """2026_11_30_eventparts rebuilds order_events partitioned by `archived` on a database with events: every
    row kept with its id, the events of orders archived before it in the archive partition, the id sequence
    going on from where it was; the downgrade puts every event of both partitions back in one plain table."""
    name = servers.database_name + "_events"
    conn = await asyncpg.connect(servers.admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = _with_database(servers.database_url, name)
    engine = make_engine(url, settings)
    columns = "id, order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data"

    async def read(raw) -> tuple[list, dict, str]:
        rows = [tuple(r) for r in await raw.fetch(f"SELECT {columns} FROM order_events ORDER BY id")]
        kind = await raw.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'order_events'")
        parts = {}
        for part in ("order_events_hot", "order_events_archive"):
            if await raw.fetchval("SELECT to_regclass($1)", part):
                parts[part] = [tuple(r) for r in await raw.fetch(f"SELECT order_id, id FROM {part} ORDER BY id")]
        return rows, parts, kind

    try:
        await asyncio.to_thread(migrate.upgrade, url)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        async with sessionmaker() as db, db.begin():
            market = Market(slug="events", name_zh="测试", name_en="Test")
            db.add(market)
        factory = Factory(sessionmaker, settings, market.id)
        provider, member = await factory.user(Role.provider), await factory.user()
        listing = await factory.listing(provider, await factory.category())
        old = await factory.order_in_state(member, listing, "received")
        kept = await factory.order_in_state(await factory.user(), listing, "accepted")
        await engine.dispose()
        raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            for order_id, steps in (
                (old.id, ("placed", "accepted", "delivered", "received")),
                (kept.id, ("placed", "accepted")),
            ):
                for before, after in zip((None, *steps), steps, strict=False):
                    await raw.execute(
                        "INSERT INTO order_events (order_id, market_id, actor_role, action, from_state, to_state,"
                        " reason, data) VALUES ($1, $2, 'system', 'move', $3, $4, 'why', '{\"k\": 1}')",
                        order_id,
                        market.id,
                        before,
                        after,
                    )
            # archived at head: the order flagged, its events in the archive partition (what the job does)
            await raw.execute("UPDATE orders SET archived_at = now() WHERE id = $1", old.id)
            await raw.execute("UPDATE order_events SET archived = true WHERE order_id = $1", old.id)
            events, parts, kind = await read(raw)
            assert kind == "p" and len(events) == 6
            assert [o for o, _ in parts["order_events_archive"]] == [old.id] * 4
            assert [o for o, _ in parts["order_events_hot"]] == [kept.id] * 2
        finally:
            await raw.close()

        await asyncio.to_thread(migrate.downgrade, url, "2026_11_30_waitlist_lines")
        raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            assert await read(raw) == (events, {}, "r")  # one plain table, every event of both partitions
            await raw.execute(
                "INSERT INTO order_events (order_id, market_id, actor_role, action, from_state, to_state, reason,"
                " data) VALUES ($1, $2, 'system', 'move', 'accepted', 'delivered', '', '{}')",
                kept.id,
                market.id,
            )
            events, _, _ = await read(raw)
            assert events[-1][0] == 7  # the sequence went on from 6
        finally:
            await raw.close()

        await asyncio.to_thread(migrate.upgrade, url)
        raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            after, parts, kind = await read(raw)
            assert kind == "p" and after == events
            # the archived order's events straight to the archive partition; the others hot
            assert parts["order_events_archive"] == [(old.id, e[0]) for e in events if e[1] == old.id]
            assert parts["order_events_hot"] == [(kept.id, e[0]) for e in events if e[1] == kept.id]
            new = await raw.fetchval(
                "INSERT INTO order_events (order_id, market_id, actor_role, action, from_state, to_state, reason,"
                " data) VALUES ($1, $2, 'system', 'move', 'delivered', 'received', '', '{}') RETURNING id",
                kept.id,
                market.id,
            )
            assert new == 8 and await raw.fetchval("SELECT count(*) FROM order_events_hot WHERE id = 8") == 1
            # the keys and indexes are the parent's, so each partition has its own
            indexes = {
                r[0] for r in await raw.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'order_events_hot'")
            }
            assert len(indexes) == 4
        finally:
            await raw.close()
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(servers.admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
