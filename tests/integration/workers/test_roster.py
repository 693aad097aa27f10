"""The real-name roster (实名制, issue #16 item 5) through the API and the worker: an import with bad rows by
number and a re-import that updates in place; members verified at import and at registration; requests
approved and declined; verified-only markets and listings; a self-declared group unlocks nothing; another
market's curator sees none of it."""

import csv
import io

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, Market, Notification, RosterEntry, User

from ...codes import register

HEADERS = ["序号", "姓名", "手机号码", "工会会员卡号", "所在工会", "人员类别"]


def roster_csv(rows: list[list[str]], headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def _import(client, headers, content: bytes, jobs, name: str = "roster.csv") -> dict:
    made = await client.post(
        "/api/v1/admin/roster/imports", files={"file": (name, content, "text/csv")}, headers=headers
    )
    assert made.status_code == 201, made.text
    import_id = made.json()["id"]
    started = await client.post(f"/api/v1/admin/roster/imports/{import_id}/start", headers=headers)
    assert started.status_code == 200, started.text
    await jobs.drain()
    return (await client.get(f"/api/v1/admin/roster/imports/{import_id}", headers=headers)).json()


async def test_a_roster_import_reports_bad_rows_verifies_matching_members_and_re_imports_in_place(
    client, factory, jobs
):
    curator = await factory.user(Role.curator)
    h = factory.headers(curator)
    rider = await factory.user(name="周 骑手")  # spaces aside, the roster's name
    stranger = await factory.user(name="冒名者")  # the roster names someone else for this phone
    rows = [
        ["1", "周骑手", rider.phone, "NS-0001", "顺丰南山工会", "新就业形态劳动者"],
        ["2", "王农", "139 0000 0002", "ns-0002", "建筑工会", "农民工/外来务工人员、困难职工"],
        ["3", "李四", stranger.phone, "", "", "女职工"],
        ["4", "", "13900000004", "", "", ""],  # no name
        ["5", "赵六", "12345", "", "", ""],  # not a mobile number
        ["6", "钱七", "13900000006", "", "", "外星人"],  # an unknown group
        ["7", "孙八", "13900000002", "", "", ""],  # the phone of row 2 again
        ["8", "吴九", "13900000009", "NS-0001", "", ""],  # row 1's union card
    ]
    made = await client.post(
        "/api/v1/admin/roster/imports", files={"file": ("名册.csv", roster_csv(rows), "text/csv")}, headers=h
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["mapping"] == {"name": 1, "phone": 2, "union_card": 3, "workplace": 4, "groups": 5}
    preview = (await client.get(f"/api/v1/admin/roster/imports/{body['id']}/preview", headers=h)).json()
    assert preview["items"][1]["groups"] == ["hardship", "migrant"] and preview["items"][1]["phone"] == "13900000002"
    assert [i["row"] for i in preview["items"] if i["fault"]] == [5, 6, 7]  # repeats are told at the import
    mapping = f"/api/v1/admin/roster/imports/{body['id']}/mapping"
    assert (await client.put(mapping, json={"name": 1}, headers=h)).status_code == 400  # no phone column
    refused = await client.put(mapping, json={"name": 1, "phone": 9}, headers=h)
    assert refused.status_code == 400 and refused.json()["extra"]["field"] == "mapping"

    await client.post(f"/api/v1/admin/roster/imports/{body['id']}/start", headers=h)
    await jobs.drain()
    done = (await client.get(f"/api/v1/admin/roster/imports/{body['id']}", headers=h)).json()
    assert done["state"] == "done", done
    assert (done["imported_rows"], done["bad_rows"], done["verified_users"], done["name_mismatches"]) == (3, 5, 1, 1)
    errors = (await client.get(f"/api/v1/admin/roster/imports/{body['id']}/errors", headers=h)).json()
    assert [(e["row"], e["reason"]) for e in errors["items"]] == [
        (5, "The name is empty."),
        (6, "The phone number 12345 is not a mobile number."),
        (7, "Unknown group: 外星人."),
        (8, "The phone number is also on row 3."),
        (9, "The union card number is also on row 2."),
    ]
    async with factory.sessionmaker() as db:
        verified = await db.get(User, rider.id)
        other = await db.get(User, stranger.id)
        flagged = (await db.execute(sa.select(RosterEntry).where(RosterEntry.phone == stranger.phone))).scalar_one()
        told = (await db.execute(sa.select(Notification.kind).where(Notification.user_id == rider.id))).scalars()
        audited = (await db.execute(sa.select(AuditEvent.action))).scalars().all()
    assert verified.verified_at is not None and verified.verified_source == "roster"
    assert (verified.groups, verified.union_card) == (["new_employment"], "NS-0001")
    assert other.verified_at is None and other.groups == []  # a name that differs: the curator decides
    assert flagged.name_differs and flagged.user_id == stranger.id
    assert "verified" in list(told)
    assert {"upload_roster", "start_roster"} <= set(audited)

    # the same file again is the same import; a corrected file updates rows in place, never duplicates
    again = await client.post(
        "/api/v1/admin/roster/imports", files={"file": ("again.csv", roster_csv(rows), "text/csv")}, headers=h
    )
    assert again.json()["id"] == body["id"] and again.json()["created"] is False
    fixed = [["1", "周骑手", rider.phone, "NS-0001", "顺丰南山工会", "新就业形态劳动者、青年职工"], rows[1], rows[2]]
    second = await _import(client, h, roster_csv(fixed), jobs, "fixed.csv")
    assert (second["imported_rows"], second["updated_rows"], second["duplicate_rows"]) == (0, 1, 2), second
    listed = (await client.get("/api/v1/admin/roster", headers=h)).json()
    assert listed["total"] == 3
    found = (await client.get("/api/v1/admin/roster", params={"q": "ns-0002"}, headers=h)).json()
    assert [e["name"] for e in found["items"]] == ["王农"]
    by_phone = (await client.get("/api/v1/admin/roster", params={"q": rider.phone}, headers=h)).json()
    assert by_phone["items"][0]["groups"] == ["new_employment", "youth"]
    async with factory.sessionmaker() as db:
        assert (await db.get(User, rider.id)).groups == ["new_employment", "youth"]

    # a member registering with a phone and name on the roster is verified at once, with its groups
    created = await register(client, factory.settings, "13900000002", "王农", "Nanshan-2026-ok")
    assert created.status_code == 201, created.text
    assert created.json()["verified"] is True and created.json()["groups"] == ["hardship", "migrant"]
    # …and one whose name differs is not
    other_name = await register(client, factory.settings, "13900000003", "某人", "Nanshan-2026-ok")
    assert other_name.json()["verified"] is False


async def test_a_member_asks_a_curator_approves_or_declines_and_verified_only_listings_follow(client, factory):
    provider, curator = await factory.user(Role.provider), await factory.user(Role.curator)
    c = factory.headers(curator)
    category = await factory.category()
    verified_only = await factory.listing(provider, category, auto_accept=True, verified_only=True)
    riders_only = await factory.listing(provider, category, target_groups=["new_employment"], auto_accept=True)
    open_listing = await factory.listing(provider, category, auto_accept=True)
    member, other = await factory.user(name="骑手小周"), await factory.user(name="小钱")
    m = factory.headers(member)

    refused = await client.post("/api/v1/orders", json={"listing_id": verified_only.id}, headers=m)
    assert refused.status_code == 403 and refused.json()["extra"]["field"] == "verified", refused.text
    assert "verified" in refused.json()["detail"]

    # a self-declared group unlocks nothing: it is a request for the union to decide
    said = await client.put("/api/v1/me", json={"groups": ["new_employment"]}, headers=m)
    assert said.json()["claimed_groups"] == ["new_employment"] and said.json()["groups"] == []
    group_refused = await client.post("/api/v1/orders", json={"listing_id": riders_only.id}, headers=m)
    assert group_refused.status_code == 403 and group_refused.json()["extra"]["field"] == "groups"

    asked = await client.post(
        "/api/v1/me/verification",
        json={"union_card": "NS-7", "workplace": "美团南山站", "groups": ["new_employment"], "note": "骑手"},
        headers=m,
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["verified"] is False and asked.json()["request"]["state"] == "pending"
    bad = await client.post("/api/v1/me/verification", json={"union_card": "卡#1"}, headers=m)
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "union_card"

    listed = (await client.get("/api/v1/admin/roster/verifications", params={"state": "pending"}, headers=c)).json()
    assert listed["total"] == 1  # asking again updated the one request
    request_id = listed["items"][0]["id"]
    assert listed["items"][0]["member_name"] == "骑手小周" and listed["items"][0]["workplace"] == "美团南山站"
    assert (
        await client.post(f"/api/v1/admin/roster/verifications/{request_id}/approve", headers=m)
    ).status_code == 403  # members do not approve themselves

    approved = await client.post(
        f"/api/v1/admin/roster/verifications/{request_id}/approve", json={"groups": ["new_employment"]}, headers=c
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved", approved.text
    twice = await client.post(f"/api/v1/admin/roster/verifications/{request_id}/approve", headers=c)
    assert twice.status_code == 409
    mine = (await client.get("/api/v1/me/verification", headers=m)).json()
    assert mine["verified"] is True and mine["source"] == "curator" and mine["union_card"] == "NS-7"
    for listing in (verified_only, riders_only):
        ordered = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)
        assert ordered.status_code == 201, ordered.text

    # declined, with a reason the member is told
    o = factory.headers(other)
    await client.post("/api/v1/me/verification", json={"groups": ["hardship"]}, headers=o)
    pending = (await client.get("/api/v1/admin/roster/verifications", params={"q": "小钱"}, headers=c)).json()
    other_request = pending["items"][0]["id"]
    empty = await client.post(
        f"/api/v1/admin/roster/verifications/{other_request}/decline", json={"reason": ""}, headers=c
    )
    assert empty.status_code == 400
    declined = await client.post(
        f"/api/v1/admin/roster/verifications/{other_request}/decline", json={"reason": "名册中查无此人"}, headers=c
    )
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    seen = (await client.get("/api/v1/me/verification", headers=o)).json()
    assert seen["verified"] is False and seen["request"]["reason"] == "名册中查无此人"
    notices = (await client.get("/api/v1/notifications", headers={**o, "Accept-Language": "en"})).json()
    assert any("名册中查无此人" in n["body"] for n in notices["items"])

    # the market's setting: only verified members order anywhere in it
    assert (await client.post("/api/v1/orders", json={"listing_id": open_listing.id}, headers=o)).status_code == 201
    setting = await client.put("/api/v1/admin/roster/settings", json={"verified_only": True}, headers=c)
    assert setting.status_code == 200 and setting.json() == {"verified_only": True}
    third = await factory.user()
    blocked = await client.post("/api/v1/orders", json={"listing_id": open_listing.id}, headers=factory.headers(third))
    assert blocked.status_code == 403 and blocked.json()["extra"]["field"] == "verified"
    async with factory.sessionmaker() as db:
        actions = set((await db.execute(sa.select(AuditEvent.action))).scalars())
    assert {"approve_verification", "decline_verification", "verified_only"} <= actions

    # a curator may ask it of a listing as it is approved
    await client.put("/api/v1/admin/roster/settings", json={"verified_only": False}, headers=c)
    waiting = await factory.listing(provider, category, title="待审核", state="submitted", auto_accept=True)
    batch = (await client.post("/api/v1/admin/batches", json={"name": "第一批"}, headers=c)).json()
    approved = await client.post(
        f"/api/v1/admin/listings/{waiting.id}/approve", json={"batch_id": batch["id"], "verified_only": True}, headers=c
    )
    assert approved.status_code == 200 and approved.json()["verified_only"] is True, approved.text
    blocked = await client.post("/api/v1/orders", json={"listing_id": waiting.id}, headers=factory.headers(third))
    assert blocked.status_code == 403 and blocked.json()["extra"]["field"] == "verified"


async def test_another_markets_curator_sees_and_decides_nothing(client, factory, jobs):
    curator = await factory.user(Role.curator)
    member = await factory.user()
    await _import(client, factory.headers(curator), roster_csv([["1", "甲", "13900000011", "", "", ""]]), jobs)
    await client.post("/api/v1/me/verification", json={"groups": ["women"]}, headers=factory.headers(member))
    async with factory.sessionmaker() as db, db.begin():
        other = Market(slug="roster-elsewhere", name_zh="福田区总工会", name_en="Futian")
        db.add(other)
        await db.flush()
        outsider = await db.get(User, (await factory.user(Role.curator)).id)
        outsider.market_id = other.id
    o = factory.headers(outsider)
    assert (await client.get("/api/v1/admin/roster", headers=o)).json()["total"] == 0
    assert (await client.get("/api/v1/admin/roster/verifications", headers=o)).json()["total"] == 0
    assert (await client.get("/api/v1/admin/roster/imports", headers=o)).json()["total"] == 0
    own = (await client.get("/api/v1/admin/roster/verifications", headers=factory.headers(curator))).json()
    request_id = own["items"][0]["id"]
    refused = await client.post(f"/api/v1/admin/roster/verifications/{request_id}/approve", headers=o)
    assert refused.status_code == 404
    refused = await client.post(
        f"/api/v1/admin/roster/verifications/{request_id}/decline", json={"reason": "x"}, headers=o
    )
    assert refused.status_code == 404
