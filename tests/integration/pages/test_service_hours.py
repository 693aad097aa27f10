"""Service hours (志愿服务时长): a provider's hours and certificate match the delivered orders."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from marketplace.domain.roles import Role
from marketplace.models import Order, User

HOURS_TOTAL = re.compile(r"<tr><th scope=\"row\"><a href=\"/provider/hours\?year=(\d+)\">\d+</a></th><td>([\d.]+)</td>")


def _iso(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def _ordered(client, factory, listing, members) -> list[dict]:
    found = []
    for member in members:
        posted = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
        assert posted.status_code == 201, posted.text
        found.append(posted.json())
    return found


async def _delivered_on_request(client, factory, listing, member, minutes: int | None) -> int:
    """An on-request order accepted, arranged (with an agreed length), its time come, delivered."""
    provider_headers = factory.headers(await _owner(factory, listing))
    (order,) = await _ordered(client, factory, listing, [member])
    assert (await client.post(f"/api/v1/orders/{order['id']}/accept", headers=provider_headers)).status_code == 200
    arrangement = {"starts_at": _iso(24), "place": "工人文化宫"} | ({"minutes": minutes} if minutes else {})
    arranged = await client.post(f"/api/v1/orders/{order['id']}/arrange", json=arrangement, headers=provider_headers)
    assert arranged.status_code == 200, arranged.text
    await factory.move_arrangement(order["id"], timedelta(hours=-3))
    delivered = await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=provider_headers)
    assert delivered.json()["state"] == "delivered", delivered.text
    return order["id"]


async def _owner(factory, listing) -> User:
    async with factory.sessionmaker() as db:
        return await db.get(User, listing.provider_id)


async def test_hours_count_sessions_once_agreed_lengths_and_never_no_shows_or_cancelled_disputes(
    client, factory, pages
):
    domain = await factory.category("法律咨询")
    labour = await factory.category("劳动争议", parent=domain)
    provider = await factory.provider([labour], name="张律师")
    curator, staff = await factory.user(Role.curator), factory.headers(await factory.user(Role.operator))
    members = await factory.members(6)
    p = factory.headers(provider)

    # a group session of 2 hours: two came, one did not — it counts once, 2 hours
    lecture = await factory.listing(
        provider, labour, title="劳动合同讲座", sessions=[(3, 10), (5, 10)], auto_accept=True
    )
    sessions = await factory.sessions_of(lecture)
    orders = await _ordered(client, factory, lecture, members[:3])
    await factory.move_session(sessions[0].id, timedelta(hours=-1))
    marked = await client.post(
        f"/api/v1/sessions/{sessions[0].id}/attendance",
        json={"present": [orders[0]["id"], orders[1]["id"]], "absent": [orders[2]["id"]]},
        headers=p,
    )
    assert marked.status_code == 200, marked.text
    # a second session nobody came to: no-shows add nothing
    absent = await client.post(
        "/api/v1/orders",
        json={"listing_id": lecture.id, "session_id": sessions[1].id},
        headers=factory.headers(members[3]),
    )
    await factory.move_session(sessions[1].id, timedelta(hours=-1))
    no_show = await client.post(f"/api/v1/orders/{absent.json()['id']}/no-show", json={}, headers=p)
    assert no_show.json()["state"] == "no_show"

    # on request: the agreed 90 minutes; another without an agreed length: an hour
    advice = await factory.listing(provider, labour, title="欠薪咨询", shape="on_request", sessions=[])
    await _delivered_on_request(client, factory, advice, members[0], 90)
    await _delivered_on_request(client, factory, advice, members[1], None)
    # delivered, disputed and resolved as cancelled: it does not count; resolved as received: it does
    cancelled = await _delivered_on_request(client, factory, advice, members[2], 120)
    kept = await _delivered_on_request(client, factory, advice, members[3], 30)
    for order_id, outcome in ((cancelled, "cancelled"), (kept, "received")):
        member_id = await _member_of(factory, order_id)
        member = next(m for m in members if m.id == member_id)
        await client.post(
            f"/api/v1/orders/{order_id}/dispute", json={"reason": "没有来"}, headers=factory.headers(member)
        )
        resolved = await client.post(
            f"/api/v1/orders/{order_id}/resolve", json={"outcome": outcome, "reason": "已核实"}, headers=staff
        )
        assert resolved.json()["state"] == outcome
    # still disputed: not yet counted
    waiting = await _delivered_on_request(client, factory, advice, members[4], 60)
    await client.post(
        f"/api/v1/orders/{waiting}/dispute", json={"reason": "不满意"}, headers=factory.headers(members[4])
    )

    expected = 2 + 1.5 + 1 + 0.5
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    pages.login(provider)
    record = await pages.get("/provider/hours")
    assert record.status_code == 200
    assert HOURS_TOTAL.findall(record.text) == [(str(year), f"{expected:g}")]
    assert "劳动合同讲座" in record.text and "2 位职工" in record.text  # the session, once, with its two members
    certificate = await pages.get(f"/provider/hours/{year}/certificate")
    assert certificate.status_code == 200 and '<html lang="zh-CN">' in certificate.text
    assert "荣誉证书" in certificate.text and "张律师 同志：" in certificate.text
    assert f"{year}年度" in certificate.text and f"累计志愿服务时长 {expected:g} 小时" in certificate.text
    assert "志愿服务 4 次" in certificate.text and "服务领域：法律咨询" in certificate.text
    assert "特发此证，以资鼓励。" in certificate.text and "/static/css/certificate.css" in certificate.text
    assert "http" not in certificate.text.split("<body>")[0]  # no external asset
    assert (await pages.get(f"/provider/hours/{year - 5}/certificate")).status_code == 404

    # the union sees the same per provider and per domain, and prints the same certificate
    pages.login(curator)
    desk = await pages.get(f"/desk/hours?year={year}")
    assert desk.status_code == 200
    assert f'<th scope="row">张律师</th><td>{expected:g}</td><td>4</td>' in desk.text
    assert f'<th scope="row">法律咨询</th><td>{expected:g}</td><td>4</td>' in desk.text
    printed = await pages.get(f"/desk/hours/{provider.id}/{year}/certificate")
    assert f"累计志愿服务时长 {expected:g} 小时" in printed.text
    assert (await pages.get(f"/desk/hours/{members[5].id}/{year}/certificate")).status_code == 404
    pages.login(members[5])
    assert (await pages.get("/desk/hours")).status_code == 403
    assert (await pages.get("/provider/hours")).status_code == 403

    # the same figures over the API
    mine = (await client.get("/api/v1/provider/hours", headers=p)).json()
    assert mine["years"] == [{"year": year, "hours": expected, "services": 4, "orders": 5}]
    assert sorted(e["hours"] for e in mine["items"]) == [0.5, 1.0, 1.5, 2.0]
    assert [e["orders"] for e in mine["items"] if e["title"] == "劳动合同讲座"] == [2]
    union = (await client.get(f"/api/v1/admin/hours?year={year}", headers=factory.headers(curator))).json()
    assert union["total"] == {"hours": expected, "services": 4, "orders": 5} and union["years"] == [year]
    assert union["providers"] == [
        {"provider_id": provider.id, "name": "张律师", "hours": expected, "services": 4, "orders": 5}
    ]
    assert union["domains"] == [{"domain_id": domain.id, "hours": expected, "services": 4, "orders": 5}]
    member_headers = factory.headers(members[5])
    assert (await client.get("/api/v1/admin/hours", headers=member_headers)).status_code == 403
    assert (await client.get("/api/v1/provider/hours", headers=member_headers)).status_code == 403
    assert (await client.get("/api/v1/admin/hours?year=1999", headers=factory.headers(curator))).status_code == 400


async def _member_of(factory, order_id: int) -> int:
    async with factory.sessionmaker() as db:
        return (await db.get(Order, order_id)).member_id
