"""The orders export is streamed as it is read (a server-side cursor, a few hundred rows at a time), so a
market's years of orders never sit in the web process's memory at once; every order still arrives once."""

import csv
import io

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Order
from marketplace.services import exports


async def _rows(n: int):
    for i in range(n):
        yield [i, f"第{i}单"]


async def test_csv_comes_in_chunks_of_rows_as_they_are_read():
    table = exports.Table("orders", ["No.", "标题"], _rows(2 * exports.ROWS_PER_CHUNK + 3))
    chunks = [chunk async for chunk in exports.csv_chunks(table)]
    assert len(chunks) == 3  # two full chunks and the rest
    read = list(csv.reader(io.StringIO("".join(chunks))))
    assert read[0] == ["\ufeffNo.", "标题"] and len(read) == 1 + 2 * exports.ROWS_PER_CHUNK + 3
    assert read[-1] == [str(2 * exports.ROWS_PER_CHUNK + 2), f"第{2 * exports.ROWS_PER_CHUNK + 2}单"]


async def test_the_orders_export_streams_every_order_once(pages, factory):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, shape="on_request")
    members = await factory.members(3)
    made = [await factory.order_in_state(m, listing, "cancelled") for m in members]  # not live: copies allowed
    # many more rows than one chunk, copied in SQL (the export reads them as any order)
    async with factory.sessionmaker() as db, db.begin():
        columns = [c.name for c in Order.__table__.columns if c.name != "id"]
        copied = ", ".join(columns)
        total = len(made)
        while total <= exports.ROWS_PER_CHUNK:  # doubled past one chunk of the CSV
            await db.execute(sa.text(f"INSERT INTO orders ({copied}) SELECT {copied} FROM orders"))
            total *= 2
    assert (await _count(factory)) == total
    pages.login(await factory.user(Role.curator))
    answer = await pages.get("/desk/export/orders.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "content-length" not in answer.headers  # streamed, not built whole first
    ids = [row[0] for row in list(csv.reader(io.StringIO(answer.text)))[1:]]
    assert len(ids) == len(set(ids)) == total
    assert {str(o.id) for o in made} <= set(ids)


async def _count(factory) -> int:
    async with factory.sessionmaker() as db:
        return (await db.execute(sa.select(sa.func.count()).select_from(Order))).scalar_one()
