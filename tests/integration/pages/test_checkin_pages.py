"""Pages of 团体预约 and 扫码签到: forms as they stand, double taps, refusals in Chinese."""

import io
import re
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from marketplace.domain import checkin as rules
from marketplace.domain.roles import Role
from marketplace.models import CheckIn, ListingSession, Order, Organisation, OrgBooking
from marketplace.models.base import utcnow


async def _organisation(pages, factory, capacity: int = 40):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, title="急救培训", sessions=[(3, capacity)], auto_accept=True)
    (session,) = await factory.sessions_of(listing)
    curator = await factory.user(Role.curator)
    contact = await factory.user(name="车间工会主席")
    pages.login(curator)
    await pages.get("/lang/zh-CN")
    made = await pages.post(
        "/desk/organisations",
        {"name": "第一车间工会", "contact_phone": contact.phone, "max_share_percent": "50", "_form_key": "form:org-1"},
    )
    assert made.status_code == 303 and made.headers["location"] == "/desk/organisations?ok=org_created"
    listed = await pages.get("/desk/organisations")
    assert "第一车间工会" in listed.text and "车间工会主席" in listed.text
    pages.login(contact)
    return provider, listing, session, curator, contact


async def _seats_taken(factory, session_id: int) -> int:
    async with factory.sessionmaker() as db:
        return (await db.get(ListingSession, session_id)).seats_taken


async def test_contact_books_with_a_typed_roster_once_and_swaps_before_the_cut_off(pages, factory):
    provider, listing, session, curator, contact = await _organisation(pages, factory)
    me = await pages.get("/me")
    assert 'href="/org"' in me.text
    shown = await pages.get("/org")
    assert shown.status_code == 200 and f'value="{session.id}"' in shown.text
    known = await factory.user(name="老会员")
    roster = "\n".join([*(f"工友{i}，139{i:08d}" for i in range(19)), f"老会员 {known.phone}"])
    form = {"session_id": str(session.id), "roster": roster, "swap_cutoff_hours": "24", "_form_key": "form:book-1"}
    first = await pages.post("/org/book", form)
    assert first.status_code == 303 and first.headers["location"].startswith("/org?ok=org_booked")
    again = await pages.post("/org/book", form)  # a double tap, or a refresh after the POST
    assert again.headers["location"] == first.headers["location"]
    assert await _seats_taken(factory, session.id) == 20
    page = await pages.get("/org")
    assert page.text.count("工友") >= 19 and "共 20 个名额，已签到 0 人" in page.text
    # the person on the roster sees their own order, its timeline in Chinese, and their code
    pages.login(known)
    async with factory.sessionmaker() as db:
        theirs = (await db.execute(sa.select(Order.id).where(Order.member_id == known.id))).scalar_one()
    mine = await pages.get(f"/orders/{theirs}")
    assert "由第一车间工会团体预约" in mine.text and "booked by" not in mine.text and "签到码" in mine.text
    pages.login(contact)

    seat_id = int(re.search(r'action="/org/seats/(\d+)/swap"', page.text)[1])
    swapped = await pages.post(
        f"/org/seats/{seat_id}/swap", {"name": "新工友", "phone": "13700000001", "_form_key": "form:swap-1"}
    )
    assert swapped.status_code == 303 and swapped.headers["location"] == "/org?ok=org_swapped"
    assert "新工友" in (await pages.get("/org")).text
    assert await _seats_taken(factory, session.id) == 20

    async with factory.sessionmaker() as db, db.begin():
        booking = (await db.execute(sa.select(OrgBooking))).scalar_one()
        booking.swap_until = utcnow() - timedelta(minutes=1)
    page = await pages.get("/org")
    assert "更换此人" not in page.text  # the forms are gone after the cut-off
    late = await pages.post(
        f"/org/seats/{seat_id + 1}/swap", {"name": "某人", "phone": "13700000002", "_form_key": "form:swap-2"}
    )
    assert late.status_code == 409 and "已过换人截止时间，不能再换人。" in late.text


async def test_an_uploaded_roster_and_refusals_in_chinese(pages, factory):
    provider, listing, session, curator, contact = await _organisation(pages, factory, capacity=10)
    book = openpyxl.Workbook()
    book.active.append(["姓名", "手机号"])
    for i in range(6):
        book.active.append([f"工友{i}", f"139{i:08d}"])
    content = io.BytesIO()
    book.save(content)
    token = await pages.token()
    over = await pages.client.post(
        "/org/book",
        data={"_csrf_token": token, "session_id": str(session.id), "roster": "", "_form_key": "form:up-1"},
        files={"file": ("名单.xlsx", content.getvalue(), "application/octet-stream")},
    )
    assert over.status_code == 409 and "贵单位在本场最多可预约 5 个名额（已预约 0 个）。" in over.text
    bad = await pages.post(
        "/org/book", {"session_id": str(session.id), "roster": "张三, 13812345678\n李四, 123", "_form_key": "form:b"}
    )
    assert bad.status_code == 400 and "第 2 行：手机号格式不正确。" in bad.text
    assert await _seats_taken(factory, session.id) == 0
    stranger = await factory.user()
    pages.login(stranger)
    assert (await pages.get("/org")).status_code == 403


async def test_a_member_scans_the_sessions_own_code(pages, factory):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, sessions=[(3, 10)], auto_accept=True)
    (session,) = await factory.sessions_of(listing)
    member = await factory.user(name="陈来了")
    order = await factory.order_in_state(member, listing, "accepted")
    await factory.move_session(session.id, timedelta(minutes=-5))
    token = rules.session_token(factory.settings.key("checkin"), session.id)

    assert (await pages.get(f"/checkin/{token}")).headers["location"].startswith("/login")
    pages.login(member)
    await pages.get("/lang/zh-CN")
    shown = await pages.get(f"/checkin/{token}")
    assert shown.status_code == 200 and "签到参加本场活动" in shown.text
    assert "camera=(self)" in shown.headers["permissions-policy"]
    done = await pages.post(f"/checkin/{token}", {"latitude": "22.5", "longitude": "113.9", "_form_key": "form:c1"})
    assert done.status_code == 303 and done.headers["location"] == f"/orders/{order.id}?ok=checked_in"
    assert (await pages.post(f"/checkin/{token}", {"_form_key": "form:c1"})).headers["location"] == done.headers[
        "location"
    ]
    twice = await pages.post(f"/checkin/{token}", {"_form_key": "form:c2"})
    assert twice.status_code == 409 and re.search(r"已签到 \d\d:\d\d。", twice.text)
    forged = await pages.post(f"/checkin/{token[:-2]}xx", {"_form_key": "form:c3"})
    assert forged.status_code == 409 and "签到码无效。" in forged.text
    async with factory.sessionmaker() as db:
        assert (await db.get(Order, order.id)).state == "delivered"
        # attendance with its time and place, as the member's phone gave it
        row = await db.get(CheckIn, order.id)
        assert (row.method, row.latitude, row.longitude, row.checked_in_by) == ("self", 22.5, 113.9, member.id)
        assert abs((row.checked_in_at - utcnow()).total_seconds()) < 120
    page = await pages.get(f"/orders/{order.id}")
    assert "已签到" in page.text


async def test_a_multipart_form_takes_bytes_in_files_only(pages, factory):
    provider, listing, session, curator, contact = await _organisation(pages, factory)
    token = await pages.token()
    broken = await pages.client.post(
        "/org/book",
        data={"_csrf_token": token, "session_id": str(session.id)},
        files={"roster": (None, b"\xff\xfe bad", "text/plain"), "file": ("a.csv", b"\xff\xfe", "text/csv")},
    )
    assert broken.status_code == 400
    unreadable = await pages.client.post(
        "/org/book",
        data={"_csrf_token": token, "session_id": str(session.id), "_form_key": "form:u"},
        files={"file": ("a.xlsx", b"\x00\xff not a workbook", "application/octet-stream")},
    )
    assert unreadable.status_code == 400 and "无法读取该 XLSX 文件。" in unreadable.text


async def test_a_booking_leaves_the_priority_reserve_to_its_groups_until_its_release(pages, factory, client):
    provider, listing, session, curator, contact = await _organisation(pages, factory, capacity=10)
    r = await client.put(
        f"/api/v1/admin/sessions/{session.id}/reserve",
        json={"percent": 30, "groups": ["hardship"]},
        headers=factory.headers(curator),
    )
    assert r.status_code == 200
    async with factory.sessionmaker() as db, db.begin():
        org = (await db.execute(sa.select(Organisation))).scalar_one()
        org.max_share_percent = 100
    shown = await pages.get("/org")
    assert "余 7 个名额" in shown.text  # 10 seats, 3 kept for members in hardship
    roster = "\n".join(f"工友{i}，139{i:08d}" for i in range(8))
    over = await pages.post("/org/book", {"session_id": str(session.id), "roster": roster, "_form_key": "form:o1"})
    assert over.status_code == 409 and "本场仅剩 7 个名额。" in over.text
    roster = "\n".join(f"工友{i}，139{i:08d}" for i in range(7))
    done = await pages.post("/org/book", {"session_id": str(session.id), "roster": roster, "_form_key": "form:o2"})
    assert done.status_code == 303 and await _seats_taken(factory, session.id) == 7
    assert f'value="{session.id}"' not in (await pages.get("/org")).text  # nothing left to book
    # the reserve is still there for a member of its group, first come
    rider = await factory.user(groups=["hardship"])
    r = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session.id}, headers=factory.headers(rider)
    )
    assert r.status_code == 201 and r.json()["state"] == "accepted"
