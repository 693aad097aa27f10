import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

# Emptied before each test; `markets` keeps the default market the app made at start.
_KEEP = {"markets"}


@pytest.fixture(autouse=True)
async def _empty_tables(engine, client, limits):
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in _KEEP]
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        # the kept rows' settings, and no tree left by an earlier test (each test builds the tree it needs)
        await conn.execute(sa.text("UPDATE markets SET verified_only = false, parent_id = NULL"))
    await limits.reset()  # rate-limit counts of earlier tests
    yield
