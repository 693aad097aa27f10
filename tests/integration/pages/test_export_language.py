"""Exports in the reader's language: headers and state names in words, times in the market's zone to the
second (no UTC offset, no microseconds), CSV with a byte-order mark, and XLSX beside it."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.domain.roles import Role
from marketplace.models import Order

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


async def _an_order(factory, client):
    category = await factory.category()
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="=1+1 书法", auto_accept=True)
    member = await factory.user(name="刘师傅")
    placed = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    assert placed.status_code == 201
    async with factory.sessionmaker() as db:
        return await db.get(Order, placed.json()["id"])


def _csv_rows(answer) -> list[list[str]]:
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))


async def test_the_orders_export_speaks_the_pages_language_with_local_times(pages, factory, client):
    order = await _an_order(factory, client)
    local = order.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    pages.login(await factory.user(Role.curator))

    header, row = _csv_rows(await pages.get("/desk/export/orders.csv"))
    assert header[:5] == ["订单号", "下单时间", "类型", "状态", "服务"]
    cells = dict(zip(header, row, strict=True))
    assert cells["下单时间"] == local and LOCAL_TIME.match(cells["场次开始"])
    assert cells["状态"] == "已接单" and cells["类型"] == "服务菜单" and cells["服务"] == "'=1+1 书法"
    assert not any("+00:00" in c or "T" in c[10:11] for c in row)

    await pages.get("/lang/en?next=/desk")
    header, row = _csv_rows(await pages.get("/desk/export/orders.csv"))
    assert header[:5] == ["Order no.", "Ordered at", "Kind", "State", "Service"]
    cells = dict(zip(header, row, strict=True))
    assert (cells["State"], cells["Kind"], cells["Ordered at"]) == ("Accepted", "Listed service", local)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(header))


async def test_xlsx_exports_hold_times_as_times_and_text_never_as_a_formula(pages, factory, client):
    order = await _an_order(factory, client)
    curator = await factory.user(Role.curator)
    pages.login(curator)
    answer = await pages.get("/desk/export/orders.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert 'filename="orders.xlsx"' in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    header, row = [[cell for cell in r] for r in sheet.iter_rows(max_row=2)]
    assert [c.value for c in header][:4] == ["订单号", "下单时间", "类型", "状态"]
    created = row[1].value
    assert isinstance(created, datetime) and created.tzinfo is None and created.microsecond == 0
    assert abs(created - order.created_at.astimezone(SHANGHAI).replace(tzinfo=None)) < timedelta(seconds=1)
    title = row[4]
    assert title.value == "=1+1 书法" and title.data_type == "s"  # the typed text, as text

    for name in ("reviews", "audit"):
        assert (await pages.get(f"/desk/export/{name}.xlsx")).status_code == 200
    assert (await pages.get("/desk/export/orders.pdf")).status_code == 404
    assert (await pages.get("/desk/export/secrets.xlsx")).status_code == 404
    pages.login(await factory.user(Role.operator))
    assert (await pages.get("/desk/export/orders.xlsx")).status_code == 403


async def test_a_time_the_zone_cannot_hold_is_exported_as_stored(pages, factory, client):
    order = await _an_order(factory, client)
    async with factory.sessionmaker() as db, db.begin():
        far = datetime(9999, 12, 31, 23, 0, tzinfo=ZoneInfo("UTC"))
        await db.execute(sa.update(Order).where(Order.id == order.id).values(delivered_at=far))
    pages.login(await factory.user(Role.curator))
    header, row = _csv_rows(await pages.get("/desk/export/orders.csv"))
    assert dict(zip(header, row, strict=True))["服务完成时间"] == "9999-12-31 23:00:00"
    assert (await pages.get("/desk/export/orders.xlsx")).status_code == 200
