"""配货 of free-form needs by the worker: matched, declined → next, deadline → next → escalation, expiry."""

import re
from datetime import timedelta

from marketplace import auth
from marketplace.domain.roles import Role
from marketplace.models.base import utcnow


async def _setup(factory, providers: int = 3):
    law = await factory.category("法律咨询")
    labour = await factory.category("劳动法", parent=law)
    health = await factory.category("医疗健康")
    experts = [
        await factory.provider([labour], name=f"律师{n}", skills=["劳动仲裁", "工资追讨"], rating_score=4.5)
        for n in range(providers)
    ]
    outsider = await factory.provider([health], name="医生", skills=["劳动仲裁"], rating_score=5.0)
    return labour, experts, outsider


async def _post_need(client, factory, member, category, title="被拖欠工资，想申请劳动仲裁"):
    response = await client.post(
        "/api/v1/orders",
        json={"category_id": category.id, "title": title, "description": "快递站三个月没发工资", "mode": "online"},
        headers=factory.headers(member),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _page_as(client, factory, user, path: str) -> str:
    """A page's HTML as this user sees it (logged in by the session cookie)."""
    client.cookies.set(auth.SESSION_COOKIE, factory.token(user))
    try:
        return (await client.get(path)).text
    finally:
        client.cookies.clear()


async def test_a_need_is_matched_by_the_worker_and_accepted(client, factory, jobs):
    labour, experts, outsider = await _setup(factory, providers=1)
    generalist = await factory.provider([await factory.category("其他")])
    operator = await factory.user(Role.operator)
    member = await factory.user(groups=["new_employment"])
    need = await _post_need(client, factory, member, labour)
    assert need["state"] == "placed"
    assert [r.dedupe_key for r in await jobs.rows("match_needs")] == [f"order:{need['id']}:match:0"]

    assert await jobs.drain() >= 1
    order = await jobs.order(need["id"])
    assert order.state == "offered" and order.provider_id == experts[0].id

    # operators see why: the score and its parts; the member sees neither
    seen = (await client.get(f"/api/v1/orders/{need['id']}", headers=factory.headers(operator))).json()
    parts = seen["offer"]["score_parts"]
    assert {"category", "skills", "mode", "rating", "group", "time", "load", "recent_offers", "declines"} <= set(parts)
    assert parts["skills"] > 0 and seen["offer"]["score"] == parts["total"]
    mine = (await client.get(f"/api/v1/orders/{need['id']}", headers=factory.headers(member))).json()
    assert mine["offer"] is None
    assert [n.kind for n in await jobs.notices(experts[0].id)] == ["offer"]
    assert await jobs.notices(outsider.id) == [] and await jobs.notices(generalist.id) == []

    accepted = await client.post(f"/api/v1/orders/{need['id']}/accept", headers=factory.headers(experts[0]))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert await jobs.drain() == 0  # nothing left to do; running again changes nothing
    assert (await jobs.order(need["id"])).state == "accepted"


async def test_a_declined_need_goes_to_the_next_provider_and_never_back(client, factory, jobs):
    labour, experts, _ = await _setup(factory, providers=2)
    member = await factory.user()
    need = await _post_need(client, factory, member, labour)
    await jobs.drain()
    first = (await jobs.order(need["id"])).provider_id
    declined = await client.post(
        f"/api/v1/orders/{need['id']}/decline",
        json={"reason": "本周出差"},
        headers=factory.headers(next(p for p in experts if p.id == first)),
    )
    assert declined.json()["state"] == "placed"
    await jobs.drain()
    second = (await jobs.order(need["id"])).provider_id
    assert second is not None and second != first
    await client.post(
        f"/api/v1/orders/{need['id']}/decline",
        json={"reason": "不擅长"},
        headers=factory.headers(next(p for p in experts if p.id == second)),
    )
    await jobs.drain()
    order = await jobs.order(need["id"])
    assert order.state == "placed" and order.provider_id is None  # nobody left: it waits, not re-offered
    assert [(o.provider_id, o.state) for o in await jobs.offers(need["id"])] == [
        (first, "declined"),
        (second, "declined"),
    ]


async def test_an_unanswered_offer_moves_on_then_goes_to_the_operators(client, factory, jobs):
    labour, experts, _ = await _setup(factory, providers=4)
    operator = await factory.user(Role.operator)
    member = await factory.user()
    need = await _post_need(client, factory, member, labour)
    await jobs.drain()
    tried = []
    for attempt in range(1, 4):
        order = await jobs.order(need["id"])
        assert order.state == "offered" and order.offer_attempts == attempt
        tried.append(order.provider_id)
        offer = (await jobs.offers(need["id"]))[-1]
        before = await jobs.scan(offer.deadline_at - timedelta(minutes=1))
        assert before["offer_timeout"] == 0
        await jobs.drain(offer.deadline_at - timedelta(minutes=1))  # the reminder before the deadline
        later = offer.deadline_at + timedelta(minutes=1)
        assert (await jobs.scan(later))["offer_timeout"] == 1
        await jobs.drain(later)

    order = await jobs.order(need["id"])
    # MAX_OFFER_ATTEMPTS (3) offers went unanswered: escalated, not silently expired
    assert order.state == "placed" and order.escalated_at is not None and order.provider_id is None
    assert len(set(tried)) == 3
    assert [o.state for o in await jobs.offers(need["id"])] == ["expired"] * 3
    assert [n.kind for n in await jobs.notices(operator.id)] == ["order_escalated"]
    assert [n.kind for n in await jobs.notices(tried[0])] == ["offer", "offer_reminder", "offer_expired"]
    await jobs.drain()  # the matcher leaves an escalated need to the operators
    assert (await jobs.order(need["id"])).state == "placed"
    queue = (await client.get("/api/v1/orders?escalated=true", headers=factory.headers(operator))).json()
    assert [o["id"] for o in queue["items"]] == [need["id"]]
    events = (await client.get(f"/api/v1/orders/{need['id']}", headers=factory.headers(operator))).json()["events"]
    assert [e["action"] for e in events] == ["place"] + ["offer", "offer_timeout"] * 3 + ["escalate"]
    assert {e["actor"] for e in events[1:]} == {"system"}

    # the operator hands it on by hand: out of the queue, the fourth provider gets it
    fourth = next(p for p in experts if p.id not in tried)
    handed = await client.post(
        f"/api/v1/orders/{need['id']}/reassign", json={"provider_id": fourth.id}, headers=factory.headers(operator)
    )
    assert handed.json()["state"] == "offered" and handed.json()["escalated_at"] is None


async def test_a_listing_order_left_offered_is_escalated(client, factory, jobs):
    provider = await factory.user(Role.provider)
    operator = await factory.user(Role.operator)
    category = await factory.category("心理咨询", offer_deadline_hours=4)
    listing = await factory.listing(provider, category, sessions=[(3, 5)])
    member = await factory.user()
    placed = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    assert placed["state"] == "offered"
    deadline = (await jobs.offers(placed["id"]))[0].deadline_at
    assert timedelta(hours=3, minutes=59) < deadline - utcnow() <= timedelta(hours=4)  # the category's window
    later = deadline + timedelta(minutes=5)
    assert (await jobs.scan(later))["escalate_offer"] == 1
    await jobs.drain(later)
    await jobs.scan(later + timedelta(hours=1))  # once only
    await jobs.drain(later + timedelta(hours=1))
    order = await jobs.order(placed["id"])
    assert order.state == "offered" and order.escalated_at is not None
    assert [n.kind for n in await jobs.notices(operator.id)] == ["order_escalated"]
    # the provider may still answer
    accepted = await client.post(f"/api/v1/orders/{placed['id']}/accept", headers=factory.headers(provider))
    assert accepted.json()["state"] == "accepted"


async def test_a_need_nobody_takes_expires_as_unmet_demand(client, factory, jobs):
    lonely = await factory.category("非遗技艺")
    member = await factory.user()
    need = await _post_need(client, factory, member, lonely, title="想学剪纸")
    await jobs.drain()
    assert (await jobs.order(need["id"])).state == "placed"  # no provider serves it
    assert (await jobs.scan(utcnow() + timedelta(days=6)))["expire_need"] == 0
    later = utcnow() + timedelta(days=7, minutes=1)
    assert (await jobs.scan(later))["expire_need"] == 1
    await jobs.drain(later)
    order = (await client.get(f"/api/v1/orders/{need['id']}", headers=factory.headers(member))).json()
    assert order["state"] == "expired"
    assert order["events"][-1]["action"] == "expire" and order["events"][-1]["actor"] == "system"
    told = await jobs.notices(member.id, "need_expired")
    assert len(told) == 1 and "待满足需求" in told[0].body


async def test_a_need_filed_under_a_domain_reaches_a_provider_of_a_sub_category(client, factory, jobs):
    law = await factory.category("法律咨询")
    labour = await factory.category("劳动法", parent=law)
    family = await factory.category("婚姻家事", parent=law)
    lawyer = await factory.provider([labour], name="劳动法律师", skills=["劳动仲裁"])
    other = await factory.provider([family], name="家事律师")
    doctor = await factory.provider([await factory.category("医疗健康")], name="医生", skills=["劳动仲裁"])
    operator = await factory.user(Role.operator)
    need = await _post_need(client, factory, await factory.user(), law)

    assert await jobs.drain() >= 1
    order = await jobs.order(need["id"])
    assert order.state == "offered" and order.provider_id == lawyer.id  # the one whose skills fit, below the domain
    assert await jobs.notices(doctor.id) == []  # never outside the domain

    # an operator may hand it to another provider below the domain, never to one outside it
    offered_to = re.findall(
        r'<option value="(\d+)"', await _page_as(client, factory, operator, f"/orders/{need['id']}")
    )
    assert str(other.id) in offered_to and str(doctor.id) not in offered_to  # the page's candidates
    o = factory.headers(operator)
    refused = await client.post(f"/api/v1/orders/{need['id']}/reassign", json={"provider_id": doctor.id}, headers=o)
    assert refused.status_code == 400 and refused.json()["extra"]["field"] == "provider_id"
    moved = await client.post(f"/api/v1/orders/{need['id']}/reassign", json={"provider_id": other.id}, headers=o)
    assert moved.status_code == 200 and moved.json()["state"] == "offered"
    assert (await jobs.order(need["id"])).provider_id == other.id


async def test_a_provider_whose_two_offers_just_lapsed_is_not_offered_a_third_at_once(client, factory, jobs):
    labour = await factory.category("劳动法", parent=await factory.category("法律咨询"))
    others = [await factory.provider([labour], name=f"律师{n}", skills=["婚姻家事"]) for n in range(3)]
    away = await factory.provider([labour], name="出差的律师", skills=["被拖欠工资"], rating_score=5.0)
    for title in ("被拖欠工资一", "被拖欠工资二"):
        need = await _post_need(client, factory, await factory.user(), labour, title=title)
        await jobs.drain()
        assert (await jobs.order(need["id"])).provider_id == away.id  # the best fit, by far
        offer = (await jobs.offers(need["id"]))[-1]
        later = offer.deadline_at + timedelta(minutes=1)
        await jobs.scan(later)
        await jobs.drain(later)  # lapsed: the need moves on to someone else
        assert (await jobs.order(need["id"])).provider_id != away.id

    third = await _post_need(client, factory, await factory.user(), labour, title="被拖欠工资三")
    await jobs.drain()
    order = await jobs.order(third["id"])
    assert order.state == "offered" and order.provider_id in {p.id for p in others}
    assert [o.state for o in await jobs.offers(third["id"])] == ["pending"]


async def test_staff_read_the_offers_score_and_its_parts_on_the_order_page(client, factory, jobs):
    labour, experts, _ = await _setup(factory, providers=1)
    operator, member = await factory.user(Role.operator), await factory.user()
    need = await _post_need(client, factory, member, labour)
    await jobs.drain()
    offer = (await jobs.offers(need["id"]))[-1]

    staff = await _page_as(client, factory, operator, f"/orders/{need['id']}")
    mine = await _page_as(client, factory, member, f"/orders/{need['id']}")
    assert "匹配得分" in staff and "<td>-0</td>" not in staff
    shown = dict(re.findall(r"<tr><td>([^<]+)</td><td>(-?[\d.]+)</td></tr>", staff))
    for label, part in (("分类", "category"), ("技能", "skills"), ("近期婉拒或超时未答", "declines")):
        assert float(shown[label]) == round(offer.score_parts[part], 2), label
    assert "匹配得分" not in mine and "近期婉拒或超时未答" not in mine
