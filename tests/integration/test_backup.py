"""`marketplace backup FILE` and `marketplace restore FILE` round-trip the demo data exactly: the row count of
every table and a checksum of every order and order event, into an empty database and over one changed
since the backup."""

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from marketplace.backup import libpq_url
from marketplace.settings import PROJECT_ROOT
from seeds.loader import load_demo_data


async def _snapshot(database_url: str) -> dict:
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        listed = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row["tablename"] for row in listed]
        counts = {table: await conn.fetchval(f'SELECT count(*) FROM "{table}"') for table in tables}
        sums = {
            table: await conn.fetchval(f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t")
            for table in ("orders", "order_events")
        }
        partitioned = await conn.fetch("SELECT relname FROM pg_class WHERE relkind = 'p' ORDER BY 1")
    finally:
        await conn.close()
    return {"counts": counts, "checksums": sums, "partitioned": [row["relname"] for row in partitioned]}


def _marketplace(command: str, file: Path, database_url: str, redis_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "marketplace", command, str(file)],
        env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_a_backup_restores_the_demo_data_exactly(settings, servers, client, tmp_path):
    await load_demo_data(settings)
    before = await _snapshot(settings.database_url)
    assert before["counts"]["orders"] > 1000 and before["counts"]["order_events"] > before["counts"]["orders"]
    file = tmp_path / "market.backup"

    made = _marketplace("backup", file, settings.database_url, settings.redis_url)
    assert made.returncode == 0, made.stderr
    # every table holding rows: a partitioned one (order_events) is dumped as its partitions
    tables = len(before["counts"]) - len(before["partitioned"])
    assert f"/{tables}] public.orders" in made.stdout and "done:" in made.stdout  # progress, table by table
    assert file.stat().st_size > 0 and not file.with_name(file.name + ".partial").exists()

    scratch = f"{servers.database_name}_restored"
    scratch_url = make_url(settings.database_url).set(database=scratch).render_as_string(hide_password=False)
    admin = await asyncpg.connect(servers.admin_dsn)
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        restored = _marketplace("restore", file, scratch_url, settings.redis_url)
        assert restored.returncode == 0, restored.stderr
        assert f"/{tables}] public.orders" in restored.stdout
        assert await _snapshot(scratch_url) == before  # into an empty database

        conn = await asyncpg.connect(libpq_url(scratch_url))
        try:  # a day of changes after the backup
            await conn.execute("DELETE FROM order_events WHERE id % 3 = 0")
            await conn.execute("UPDATE orders SET state = 'cancelled' WHERE id % 5 = 0")
            await conn.execute("CREATE TABLE scratch_notes (id int)")
        finally:
            await conn.close()
        assert await _snapshot(scratch_url) != before
        again = _marketplace("restore", file, scratch_url, settings.redis_url)
        assert again.returncode == 0, again.stderr
        after = await _snapshot(scratch_url)
        del after["counts"]["scratch_notes"]  # not in the backup: a restore replaces what the backup holds
        assert after == before
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()


def test_a_missing_or_unreadable_backup_is_refused_with_a_sentence(settings, tmp_path):
    missing = _marketplace("restore", tmp_path / "none.backup", settings.database_url, settings.redis_url)
    assert missing.returncode == 1 and "no backup at" in missing.stderr
    junk = tmp_path / "junk.backup"
    junk.write_text("not a backup")
    unreadable = _marketplace("restore", junk, settings.database_url, settings.redis_url)
    assert unreadable.returncode == 1 and "not a backup pg_restore can read" in unreadable.stderr
