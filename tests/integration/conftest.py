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
        await conn.execute(sa.text("UPDATE markets SET verified_only = false"))  # the kept rows' settings
    await limits.reset()  # rate-limit counts of earlier tests
    yield
