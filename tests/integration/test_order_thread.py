"""Issue #13: member and provider talk inside the order; the member answers an arrangement; reviews
carry quick tags counted on the provider's profile. Through the API, on real PostgreSQL and Redis."""

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Notification, OrderMessage


async def _on_request(factory, state="accepted"):
    provider = await factory.provider(name="王律师")
    category = await factory.category("法律咨询")
    listing = await factory.listing(provider, category, title="劳动合同咨询", shape="on_request")
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, state)
    return provider, member, listing, order


async def _notices(factory, user_id: int, kind: str) -> list[Notification]:
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        )
        return list(rows.scalars())


async def test_member_and_provider_talk_in_the_order_and_each_new_message_tells_the_other(client, factory):
    provider, member, _, order = await _on_request(factory)
    m, p = factory.headers(member), factory.headers(provider)
    url = f"/api/v1/orders/{order.id}/messages"
    assert (await client.get(url, headers=m)).json() == {"items": [], "total": 0}

    sent = await client.post(url, json={"body": "  请问需要带劳动合同原件吗？\n谢谢 "}, headers=m)
    assert sent.status_code == 201, sent.text
    first = sent.json()
    assert first["body"] == "请问需要带劳动合同原件吗？\n谢谢" and first["mine"] is True
    assert (first["author_name"], first["author_role"]) == ("刘师傅", "member")
    reply = await client.post(url, json={"body": "带复印件即可"}, headers=p)
    assert reply.status_code == 201 and reply.json()["author_role"] == "provider"

    seen_by_provider = (await client.get(url, headers=p)).json()
    assert seen_by_provider["total"] == 2
    assert [(x["body"], x["mine"]) for x in seen_by_provider["items"]] == [
        ("请问需要带劳动合同原件吗？\n谢谢", False),
        ("带复印件即可", True),
    ]
    paged = (await client.get(url, params={"limit": 1, "offset": 1}, headers=m)).json()
    assert [x["body"] for x in paged["items"]] == ["带复印件即可"] and paged["total"] == 2

    [to_provider] = await _notices(factory, provider.id, "order_message")
    assert to_provider.title == "新消息：劳动合同咨询" and to_provider.body.startswith("刘师傅：请问需要带")
    assert {k: v for k, v in to_provider.data.items() if k != "text"} == {
        "order_id": order.id,
        "message_id": first["id"],
    }
    [to_member] = await _notices(factory, member.id, "order_message")
    assert to_member.body == "王律师：带复印件即可"
    # phones stay masked: the thread is the channel
    shown = (await client.get(f"/api/v1/orders/{order.id}", headers=m)).json()
    assert shown["provider"]["phone"] is None


async def test_only_the_parties_read_and_write_and_staff_join_once_disputed(client, factory):
    provider, member, _, order = await _on_request(factory, state="delivered")
    url = f"/api/v1/orders/{order.id}/messages"
    stranger = await factory.user()
    other_provider = await factory.user(Role.provider)
    for outsider in (stranger, other_provider):
        assert (await client.get(url, headers=factory.headers(outsider))).status_code == 404
        refused = await client.post(url, json={"body": "hi"}, headers=factory.headers(outsider))
        assert refused.status_code == 404
    operator = await factory.user(Role.operator)
    o = factory.headers(operator)
    closed = await client.get(url, headers=o)
    assert closed.status_code == 403 and "disputed or escalated" in closed.json()["detail"]
    assert (await client.post(url, json={"body": "您好"}, headers=o)).status_code == 403
    assert (await client.get("/api/v1/orders/999999/messages", headers=o)).status_code == 404

    m = factory.headers(member)
    await client.post(url, json={"body": "老师没有来"}, headers=m)
    assert (await client.post(f"/api/v1/orders/{order.id}/dispute", json={"reason": "没来"}, headers=m)).is_success
    assert [x["body"] for x in (await client.get(url, headers=o)).json()["items"]] == ["老师没有来"]
    staff_says = await client.post(url, json={"body": "工会已介入，请双方说明情况"}, headers=o)
    assert staff_says.status_code == 201 and staff_says.json()["author_role"] == "operator"
    for party in (member, provider):  # the union's message reaches both sides
        told = await _notices(factory, party.id, "order_message")
        assert any(n.body == "工会工作人员：工会已介入，请双方说明情况" for n in told)


async def test_staff_keep_reading_the_thread_after_the_dispute_is_resolved_but_no_longer_write(client, factory):
    provider, member, _, order = await _on_request(factory, state="delivered")
    url = f"/api/v1/orders/{order.id}/messages"
    m, operator, curator = factory.headers(member), await factory.user(Role.operator), await factory.user(Role.curator)
    await client.post(url, json={"body": "老师没有来"}, headers=m)
    await client.post(f"/api/v1/orders/{order.id}/dispute", json={"reason": "没来"}, headers=m)
    await client.post(url, json={"body": "工会已介入"}, headers=factory.headers(operator))
    settled = await client.post(
        f"/api/v1/orders/{order.id}/resolve",
        json={"outcome": "received", "reason": "双方确认已补课"},
        headers=factory.headers(curator),
    )
    assert settled.status_code == 200 and settled.json()["state"] == "received"
    for staff in (operator, curator):  # the history stays readable for quality review
        read = await client.get(url, headers=factory.headers(staff))
        assert read.status_code == 200, read.text
        assert [x["body"] for x in read.json()["items"]] == ["老师没有来", "工会已介入"]
        closed = await client.post(url, json={"body": "回访一下"}, headers=factory.headers(staff))
        assert closed.status_code == 403 and "disputed or escalated" in closed.json()["detail"]
    # the parties still talk; strangers and the providers of other orders still learn nothing
    assert (await client.post(url, json={"body": "谢谢工会"}, headers=m)).status_code == 201
    for outsider in (await factory.user(), await factory.user(Role.provider)):
        assert (await client.get(url, headers=factory.headers(outsider))).status_code == 404
    there = await factory.other_market()  # staff of another union's market
    assert (await client.get(url, headers=there.headers(await there.user(Role.operator)))).status_code == 404


async def test_staff_never_read_the_thread_of_an_order_never_disputed_or_escalated(client, factory):
    _, member, _, order = await _on_request(factory, state="delivered")
    url = f"/api/v1/orders/{order.id}/messages"
    await client.post(url, json={"body": "明天见"}, headers=factory.headers(member))
    assert (await client.post(f"/api/v1/orders/{order.id}/receive", headers=factory.headers(member))).is_success
    refused = await client.get(url, headers=factory.headers(await factory.user(Role.curator)))
    assert refused.status_code == 403


async def test_a_message_is_bounded_plain_text_and_counted_per_person(client, factory, settings):
    provider, member, _, order = await _on_request(factory)
    m = factory.headers(member)
    url = f"/api/v1/orders/{order.id}/messages"
    for body in ({"body": ""}, {"body": "   "}, {"body": "a\x00b"}, {"body": "长" * 1001}, {}, {"body": 5}):
        refused = await client.post(url, json=body, headers=m)
        assert refused.status_code == 400, (body, refused.text)
    assert (await client.post(url, json={"body": "长" * 1000}, headers=m)).status_code == 201
    html = await client.post(url, json={"body": "<b>粗体</b><script>alert(1)</script>"}, headers=m)
    assert html.json()["body"] == "<b>粗体</b><script>alert(1)</script>"  # stored as typed; pages escape it
    limit = int(settings.message_limit_per_user.split()[0])
    answers = [await client.post(url, json={"body": f"第 {i} 条"}, headers=m) for i in range(limit)]
    assert [a.status_code for a in answers].count(201) == limit - 2  # two were sent above
    refused = answers[-1]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "Too many messages" in refused.json()["detail"]
    # the provider has a count of their own
    assert (await client.post(url, json={"body": "收到"}, headers=factory.headers(provider))).status_code == 201


async def test_a_retried_post_with_the_same_key_posts_once(client, factory):
    _, member, _, order = await _on_request(factory)
    m = {**factory.headers(member), "Idempotency-Key": "msg-1"}
    url = f"/api/v1/orders/{order.id}/messages"
    both = await asyncio.gather(*(client.post(url, json={"body": "在吗"}, headers=m) for _ in range(2)))
    assert [b.status_code for b in both] == [201, 201] and both[0].json()["id"] == both[1].json()["id"]
    async with factory.sessionmaker() as db:
        count = await db.scalar(sa.select(sa.func.count()).select_from(OrderMessage))
    assert count == 1


async def test_nobody_to_write_to_before_a_provider_takes_a_need(client, factory):
    member = await factory.user()
    category = await factory.category("家政服务")
    need = await client.post(
        "/api/v1/orders", json={"category_id": category.id, "title": "找人修水管"}, headers=factory.headers(member)
    )
    refused = await client.post(
        f"/api/v1/orders/{need.json()['id']}/messages", json={"body": "急"}, headers=factory.headers(member)
    )
    assert refused.status_code == 409 and "nobody to write to" in refused.json()["detail"]


def _later(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


async def test_the_member_agrees_to_an_arrangement_or_proposes_another_time_the_provider_accepts(client, factory):
    provider, member, _, order = await _on_request(factory)
    m, p = factory.headers(member), factory.headers(provider)
    base = f"/api/v1/orders/{order.id}"
    # nothing to answer before the provider arranged it
    early = await client.post(f"{base}/agree-time", headers=m)
    assert early.status_code == 409 and "no arrangement waiting" in early.json()["detail"]
    assert "agree_time" not in (await client.get(base, headers=m)).json()["actions"]

    first_time = _later(3)
    arranged = await client.post(f"{base}/arrange", json={"starts_at": first_time, "place": "工会201室"}, headers=p)
    assert arranged.status_code == 200
    shown = (await client.get(base, headers=m)).json()
    assert {"agree_time", "propose_time"} <= set(shown["actions"]) and shown["time_agreed_at"] is None
    assert "accept_time" not in (await client.get(base, headers=p)).json()["actions"]
    # only the member answers
    assert (await client.post(f"{base}/agree-time", headers=p)).status_code == 403

    past = await client.post(f"{base}/propose-time", json={"starts_at": _later(-0.5), "note": "x"}, headers=m)
    assert past.status_code == 400 and past.json()["extra"]["field"] == "starts_at"
    assert (await client.post(f"{base}/propose-time", json={"note": "周末？"}, headers=m)).status_code == 400
    wanted = _later(5)
    proposed = await client.post(f"{base}/propose-time", json={"starts_at": wanted, "note": "周末更方便"}, headers=m)
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["state"] == "accepted" and body["time_proposal"]["note"] == "周末更方便"
    # the agreed time holds until the provider answers
    assert datetime.fromisoformat(body["arrangement"]["starts_at"]) == datetime.fromisoformat(first_time)
    assert body["events"][-1]["action"] == "propose_time" and body["events"][-1]["reason"] == "周末更方便"
    assert "agree_time" not in body["actions"]  # not while asking for another time
    [told] = await _notices(factory, provider.id, "time_proposed")
    assert told.title == "会员提议另约时间：劳动合同咨询" and "周末更方便" in told.body

    provider_view = (await client.get(base, headers=p)).json()
    assert provider_view["actions"][:2] == ["arrange", "accept_time"]
    assert (await client.post(f"{base}/accept-time", headers=m)).status_code == 403
    taken = await client.post(f"{base}/accept-time", headers=p)
    assert taken.status_code == 200, taken.text
    taken = taken.json()
    assert datetime.fromisoformat(taken["arrangement"]["starts_at"]) == datetime.fromisoformat(wanted)
    assert taken["arrangement"]["place"] == "工会201室"
    assert taken["time_proposal"] is None and taken["time_agreed_at"] is not None
    assert (await client.post(f"{base}/accept-time", headers=p)).status_code == 409  # answered once
    [accepted] = await _notices(factory, member.id, "time_accepted")
    assert "工会201室" in accepted.body

    # the provider answers a new proposal with a new arrangement instead: the member agrees to that
    await client.post(f"{base}/propose-time", json={"starts_at": _later(6)}, headers=m)
    rearranged = await client.post(f"{base}/arrange", json={"starts_at": _later(7)}, headers=p)
    assert rearranged.json()["time_proposal"] is None and rearranged.json()["time_agreed_at"] is None
    agreed = await client.post(f"{base}/agree-time", headers=m)
    assert agreed.status_code == 200 and agreed.json()["time_agreed_at"] is not None
    assert [e["action"] for e in agreed.json()["events"]][-2:] == ["arrange", "agree_time"]
    assert (await client.post(f"{base}/agree-time", headers=m)).status_code == 409  # once
    assert await _notices(factory, provider.id, "time_agreed")


async def test_a_session_order_has_no_time_to_answer_and_the_time_guard_holds(client, factory):
    provider = await factory.provider()
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)])
    member = await factory.user()
    order = await factory.order_in_state(member, listing, "accepted")
    m = factory.headers(member)
    await client.post(f"/api/v1/orders/{order.id}/arrange", json={"place": "二楼"}, headers=factory.headers(provider))
    assert (await client.post(f"/api/v1/orders/{order.id}/agree-time", headers=m)).status_code == 409
    refused = await client.post(f"/api/v1/orders/{order.id}/propose-time", json={"starts_at": _later(3)}, headers=m)
    assert refused.status_code == 409

    provider, member, _, on_request = await _on_request(factory)
    await client.post(
        f"/api/v1/orders/{on_request.id}/arrange", json={"starts_at": _later(1)}, headers=factory.headers(provider)
    )
    await factory.move_arrangement(on_request.id, timedelta(minutes=-5))  # its time has come
    late = await client.post(f"/api/v1/orders/{on_request.id}/agree-time", headers=factory.headers(member))
    assert late.status_code == 409 and late.json()["detail"] == "This session has already started."


async def test_quick_tags_are_stored_with_the_review_and_counted_on_the_provider_profile(client, factory):
    provider = await factory.provider(name="王老师")
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)] * 3)
    members = await factory.members(3)
    tags = [["patient", "on_time"], ["patient", "patient"], ["late"]]
    for index, (member, chosen) in enumerate(zip(members, tags, strict=True)):
        order = await factory.order_in_state(member, listing, "received", session_index=index)
        answer = await client.post(
            f"/api/v1/orders/{order.id}/review",
            json={"stars": 5 if index < 2 else 2, "tags": chosen},
            headers=factory.headers(member),
        )
        assert answer.status_code == 200, answer.text
    refused = await client.post(
        f"/api/v1/orders/{order.id}/review", json={"stars": 5, "tags": ["欠薪"]}, headers=factory.headers(members[0])
    )
    assert refused.status_code == 400
    reviews = (await client.get(f"/api/v1/listings/{listing.id}/reviews")).json()["items"]
    assert sorted(r["tags"] for r in reviews) == [["late"], ["on_time", "patient"], ["patient"]]
    profile = (await client.get(f"/api/v1/providers/{provider.id}")).json()
    assert profile["review_tags"] == [
        {"tag": "patient", "count": 2},
        {"tag": "on_time", "count": 1},
        {"tag": "late", "count": 1},
    ]


async def test_my_messages_are_in_my_data_and_blanked_when_i_delete_my_account(client, factory):
    from ..factories import PASSWORD

    provider, member, _, order = await _on_request(factory, state="received")
    m, p = factory.headers(member), factory.headers(provider)
    url = f"/api/v1/orders/{order.id}/messages"
    await client.post(url, json={"body": "谢谢王律师，我的手机是 13912345678"}, headers=m)
    await client.post(url, json={"body": "不客气"}, headers=p)
    data = (await client.get("/api/v1/me/data", headers=m)).json()
    assert [x["body"] for x in data["messages"]] == ["谢谢王律师，我的手机是 13912345678"]
    assert (await client.post("/api/v1/me/delete", json={"password": PASSWORD}, headers=m)).status_code == 204
    left = (await client.get(url, headers=p)).json()["items"]
    assert [(x["author_name"], x["body"]) for x in left] == [("已注销用户", ""), ("王律师", "不客气")]
