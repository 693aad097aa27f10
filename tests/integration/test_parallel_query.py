"""SQL functions of the migrations stay usable when PostgreSQL runs a statement in parallel (as it does
on a large market: bench/scale.py found the desk's order list failing at 100× the demo data)."""

import sqlalchemy as sa


async def test_try_timestamptz_reads_times_under_a_parallel_plan(engine):
    async with engine.connect() as conn:
        version = (await conn.execute(sa.text("SHOW server_version_num"))).scalar_one()
        forcing = "debug_parallel_query" if int(version) >= 160000 else "force_parallel_mode"
        await conn.execute(sa.text(f"SET LOCAL {forcing} = on"))
        read = await conn.execute(
            sa.text("SELECT try_timestamptz(v) FROM (VALUES ('2026-01-01T09:00:00+08:00'), ('not a time')) t(v)")
        )
        assert [row[0] is None for row in read] == [False, True]
