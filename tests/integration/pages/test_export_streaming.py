"""The orders export is streamed as it is read (a server-side cursor, a few hundred rows at a time), so a
market's years of orders never sit in the web process's memory at once; every order still arrives once.
A workbook goes through temporary files (its rows, then the zip), sent in chunks and removed afterwards —
also when its rows fail or the download is dropped."""

import asyncio
import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.worksheet import _writer as openpyxl_files

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


async def _failing(n: int):
    async for row in _rows(n):
        yield row
    raise RuntimeError("the database went away")


async def _cancelled_at_the_end(n: int):
    """The rows, then the download dropped while openpyxl works in its thread."""
    async for row in _rows(n):
        yield row
    asyncio.current_task().cancel()


def _left(directory) -> list:
    """Temporary files left: ours, and openpyxl's files of write-only sheets (this process's, by its own
    count, so other test runs on the machine do not matter)."""
    return [*(directory.iterdir() if directory.exists() else ()), *openpyxl_files.ALL_TEMP_FILES]


async def test_xlsx_is_sent_in_chunks_from_a_file_removed_afterwards(tmp_path):
    n = 20_000
    chunks = [c async for c in exports.xlsx_chunks(exports.Table("orders", ["No.", "标题"], _rows(n)), tmp_path)]
    assert len(chunks) > 1 and all(len(c) == exports.XLSX_CHUNK for c in chunks[:-1])
    assert _left(tmp_path) == []
    rows = list(load_workbook(io.BytesIO(b"".join(chunks)), read_only=True).active.values)
    assert rows[0] == ("No.", "标题") and [r[0] for r in rows[1:]] == list(range(n))


async def test_xlsx_files_are_removed_when_rows_fail_or_the_download_is_dropped(tmp_path):
    failing = exports.xlsx_chunks(exports.Table("orders", ["No."], _failing(500)), tmp_path)
    try:
        async for _ in failing:
            pass
    except RuntimeError:
        pass
    assert _left(tmp_path) == []

    dropped = exports.xlsx_chunks(exports.Table("orders", ["No.", "标题"], _rows(20_000)), tmp_path)
    await anext(dropped)  # the first chunk sent, then the client went away: the response closes it
    assert len(_left(tmp_path)) == 1
    await dropped.aclose()
    assert _left(tmp_path) == []

    async def working_dropped():
        async for _ in exports.xlsx_chunks(exports.Table("orders", ["No."], _cancelled_at_the_end(500)), tmp_path):
            pass

    task = asyncio.create_task(working_dropped())
    try:
        await task
    except asyncio.CancelledError:
        pass
    for _ in range(100):  # the thread finishes its rows, then the files are removed
        if not _left(tmp_path):
            break
        await asyncio.sleep(0.05)
    assert _left(tmp_path) == []


async def test_the_orders_export_streams_every_order_once(pages, factory, settings):
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

    workbook = await pages.get("/desk/export/orders.xlsx")
    assert workbook.status_code == 200 and workbook.headers["content-type"] == exports.XLSX_TYPE
    assert "content-length" not in workbook.headers
    rows = list(load_workbook(io.BytesIO(workbook.content), read_only=True).active.values)[1:]
    assert sorted(row[0] for row in rows) == sorted(int(i) for i in ids)  # every order once, as in the CSV
    assert _left(exports.exports_dir(settings)) == []


async def _count(factory) -> int:
    async with factory.sessionmaker() as db:
        return (await db.execute(sa.select(sa.func.count()).select_from(Order))).scalar_one()
