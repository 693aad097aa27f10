"""The whole cycle through the API: 备货 → 下单 → 配货 → 发货 → 签收 → 评价 → 上新 → 复购."""

from datetime import UTC, datetime, timedelta

from marketplace.domain.roles import Role


def _iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _states(order: dict) -> list[tuple]:
    return [(e["from"], e["to"], e["action"], e["actor"]) for e in order["events"]]


async def test_group_session_through_the_whole_cycle(client, factory):
    curator = await factory.user(Role.curator)
    provider = await factory.user(Role.provider, name="王老师")
    member = await factory.user(name="刘师傅")
    follower = await factory.user()
    domain = await factory.category("教育培训")
    calligraphy = await factory.category("书法培训", parent=domain)
    p, c, m = factory.headers(provider), factory.headers(curator), factory.headers(member)
    await client.post(f"/api/v1/categories/{domain.id}/follow", headers=factory.headers(follower))

    # 备货: draft with two sessions, submit, approve into a batch
    draft = await client.post(
        "/api/v1/listings",
        json={
            "title": "书法培训（硬笔）",
            "summary": "劳模带你练好字",
            "category_id": calligraphy.id,
            "shape": "group",
            "mode": "offline",
            "location": "南山工人文化宫",
            "sessions": [
                {"starts_at": _iso(2), "ends_at": _iso(2.1), "capacity": 10},
                {"starts_at": _iso(9), "ends_at": _iso(9.1), "capacity": 10},
            ],
        },
        headers=p,
    )
    assert draft.status_code == 201, draft.text
    listing = draft.json()
    assert listing["state"] == "draft" and len(listing["sessions"]) == 2
    submitted = await client.post(f"/api/v1/listings/{listing['id']}/submit", headers=p)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    batch = (await client.post("/api/v1/admin/batches", json={"name": "第一批"}, headers=c)).json()
    approved = await client.post(
        f"/api/v1/admin/listings/{listing['id']}/approve", json={"batch_id": batch["id"]}, headers=c
    )
    assert approved.status_code == 200 and approved.json()["state"] == "published"
    notices = (await client.get("/api/v1/notifications", headers=factory.headers(follower))).json()
    assert [n["kind"] for n in notices["items"]] == ["new_listing"]
    told = (await client.get("/api/v1/notifications", headers=p)).json()["items"]
    assert [n["kind"] for n in told] == ["listing_approved"]  # the provider learns it is live, and where
    assert told[0]["data"]["listing_id"] == listing["id"] and "第一批" in told[0]["body"]

    # 下单: the member finds it by searching 书法 and orders the first session
    found = (await client.get("/api/v1/listings", params={"q": "书法"})).json()
    assert [item["id"] for item in found["items"]] == [listing["id"]]
    first_session = listing["sessions"][0]["id"]
    placed = await client.post(
        "/api/v1/orders", json={"listing_id": listing["id"], "session_id": first_session, "note": "第一次学"}, headers=m
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["state"] == "offered"
    assert order["actions"] == ["cancel"]
    detail = (await client.get(f"/api/v1/listings/{listing['id']}")).json()
    assert detail["sessions"][0]["seats_left"] == 9

    # 配货: the provider sees the offer, with the member's masked phone, and accepts
    offered = (await client.get("/api/v1/orders", headers=p)).json()
    assert [o["id"] for o in offered["items"]] == [order["id"]]
    assert offered["items"][0]["member"]["phone"].count("*") == 4
    assert offered["items"][0]["actions"] == ["accept", "decline"]
    accepted = await client.post(f"/api/v1/orders/{order['id']}/accept", headers=p)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"

    # 发货: arrangements, then delivery once the session has started
    arranged = await client.post(
        f"/api/v1/orders/{order['id']}/arrange",
        json={"place": "三楼书法室", "link": "https://meet.example/abc"},
        headers=p,
    )
    assert arranged.json()["arrangement"] == {"place": "三楼书法室", "link": "https://meet.example/abc"}
    too_early = await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    assert too_early.status_code == 409
    assert "started" in too_early.json()["detail"]
    await factory.move_session(first_session, timedelta(minutes=-30))
    delivered = await client.post(f"/api/v1/orders/{order['id']}/deliver", json={"note": "完成"}, headers=p)
    assert delivered.status_code == 200 and delivered.json()["state"] == "delivered"

    # 签收 and 评价, then the provider replies once
    received = await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    assert received.json()["state"] == "received"
    reviewed = await client.post(
        f"/api/v1/orders/{order['id']}/review", json={"stars": 5, "tags": ["耐心"], "text": "老师很好"}, headers=m
    )
    assert reviewed.status_code == 200 and reviewed.json()["state"] == "reviewed"
    review_id = reviewed.json()["review_id"]
    again = await client.post(f"/api/v1/orders/{order['id']}/review", json={"stars": 1}, headers=m)
    assert again.status_code == 409 and "reviewed" in again.json()["detail"]
    reply = await client.post(f"/api/v1/reviews/{review_id}/reply", json={"text": "谢谢支持"}, headers=p)
    assert reply.status_code == 200 and reply.json()["reply"] == "谢谢支持"
    assert (
        await client.post(f"/api/v1/reviews/{review_id}/reply", json={"text": "再次"}, headers=p)
    ).status_code == 409
    shown = (await client.get(f"/api/v1/listings/{listing['id']}")).json()
    assert shown["rating"]["count"] == 1 and shown["rating"]["average"] == 5.0
    assert 4.0 < shown["rating"]["score"] < 5.0  # robust to a single vote
    public_reviews = (await client.get(f"/api/v1/listings/{listing['id']}/reviews")).json()
    assert public_reviews["items"][0]["member_name"] == "刘**"
    # hidden by a curator: the member is told why, once (hiding again tells nothing new); shown again
    for reason in ("含联系方式", "仍含联系方式"):
        hid = await client.post(f"/api/v1/admin/reviews/{review_id}/hide", json={"reason": reason}, headers=c)
        assert hid.status_code == 200
    hidden_notices = [
        n
        for n in (await client.get("/api/v1/notifications", headers=m)).json()["items"]
        if n["kind"] == "review_hidden"
    ]
    assert [n["body"] for n in hidden_notices] == ["原因：含联系方式"]
    assert hidden_notices[0]["data"]["review_id"] == review_id
    shown_again = await client.post(f"/api/v1/admin/reviews/{review_id}/show", json={"reason": "已修改"}, headers=c)
    assert shown_again.status_code == 200

    # 复购: one call orders the next session
    reordered = await client.post(f"/api/v1/orders/{order['id']}/reorder", headers=m)
    assert reordered.status_code == 201, reordered.text
    assert reordered.json()["session"]["id"] == listing["sessions"][1]["id"]
    assert reordered.json()["state"] == "offered"

    timeline = (await client.get(f"/api/v1/orders/{order['id']}", headers=m)).json()
    assert _states(timeline) == [
        (None, "placed", "place", "member"),
        ("placed", "offered", "offer", "system"),
        ("offered", "accepted", "accept", "provider"),
        ("accepted", "accepted", "arrange", "provider"),
        ("accepted", "delivered", "deliver", "provider"),
        ("delivered", "received", "receive", "member"),
        ("received", "reviewed", "review", "member"),
    ]


async def test_free_form_need_offered_by_hand_through_the_cycle(client, factory):
    operator = await factory.user(Role.operator)
    health = await factory.category("医疗健康")
    counselling = await factory.category("心理咨询", parent=health)
    outsider = await factory.provider([await factory.category("法律咨询")])
    provider = await factory.provider([health])
    member = await factory.user()
    m, p, o = factory.headers(member), factory.headers(provider), factory.headers(operator)

    need = await client.post(
        "/api/v1/orders",
        json={
            "category_id": counselling.id,
            "title": "想找人聊聊工作压力",
            "description": "夜班多，睡不好",
            "mode": "online",
        },
        headers=m,
    )
    assert need.status_code == 201, need.text
    assert need.json()["state"] == "placed" and need.json()["kind"] == "need"
    need_id = need.json()["id"]

    refused = await client.post(f"/api/v1/orders/{need_id}/reassign", json={"provider_id": outsider.id}, headers=o)
    assert refused.status_code == 400 and refused.json()["extra"]["field"] == "provider_id"
    offered = await client.post(f"/api/v1/orders/{need_id}/reassign", json={"provider_id": provider.id}, headers=o)
    assert offered.status_code == 200 and offered.json()["state"] == "offered"
    assert (await client.post(f"/api/v1/orders/{need_id}/accept", headers=p)).json()["state"] == "accepted"
    not_yet = await client.post(f"/api/v1/orders/{need_id}/deliver", json={}, headers=p)
    assert not_yet.status_code == 409 and "arrangements" in not_yet.json()["detail"]
    past = await client.post(f"/api/v1/orders/{need_id}/arrange", json={"starts_at": _iso(-0.1)}, headers=p)
    assert past.status_code == 400 and past.json()["extra"]["field"] == "starts_at"
    await client.post(
        f"/api/v1/orders/{need_id}/arrange", json={"starts_at": _iso(1), "link": "https://x.cn/r"}, headers=p
    )
    early = await client.post(f"/api/v1/orders/{need_id}/deliver", json={}, headers=p)  # the agreed time is tomorrow
    assert early.status_code == 409 and early.json()["detail"] == "This can be done once the service has started."
    await factory.move_arrangement(need_id, timedelta(hours=-1))  # a day later
    assert (await client.post(f"/api/v1/orders/{need_id}/deliver", json={}, headers=p)).json()["state"] == "delivered"
    assert (await client.post(f"/api/v1/orders/{need_id}/receive", headers=m)).json()["state"] == "received"
    review = await client.post(f"/api/v1/orders/{need_id}/review", json={"stars": 4, "text": "有帮助"}, headers=m)
    assert review.json()["state"] == "reviewed"
    profile = (await client.get(f"/api/v1/providers/{provider.id}")).json()
    assert profile["rating_count"] == 1 and profile["rating_avg"] == 4.0
    review_id = review.json()["review_id"]
    assert (
        await client.post(f"/api/v1/reviews/{review_id}/reply", json={"text": "保重"}, headers=p)
    ).status_code == 200
    again = await client.post(f"/api/v1/orders/{need_id}/reorder", headers=m)
    assert again.status_code == 201 and again.json()["kind"] == "need" and again.json()["state"] == "placed"

    timeline = (await client.get(f"/api/v1/orders/{need_id}", headers=o)).json()
    assert [e["action"] for e in timeline["events"]] == [
        "place",
        "offer",
        "accept",
        "arrange",
        "deliver",
        "receive",
        "review",
    ]


async def test_decline_cancel_waitlist_dispute_and_no_show(client, factory):
    curator = await factory.user(Role.curator)
    provider = await factory.user(Role.provider)
    category = await factory.category("急救培训")
    listing = await factory.listing(provider, category, title="急救知识科普", sessions=[(2, 2)])
    session_id = (await factory.sessions_of(listing))[0].id
    a, b, c, d = await factory.members(4)
    p = factory.headers(provider)

    def order(member):
        return client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(member)
        )

    first, second, third, fourth = [(await order(x)).json() for x in (a, b, c, d)]
    assert [first["state"], second["state"], third["state"], fourth["state"]] == [
        "offered",
        "offered",
        "waitlisted",
        "waitlisted",
    ]
    assert third["waitlist_position"] == 1 and fourth["waitlist_position"] == 2
    duplicate = await order(a)
    assert duplicate.status_code == 409 and "already" in duplicate.json()["detail"]

    # decline frees the seat: the first on the waitlist is promoted (offered to the provider)
    declined = await client.post(f"/api/v1/orders/{first['id']}/decline", json={"reason": "那天有事"}, headers=p)
    assert declined.json()["state"] == "declined"
    promoted = (await client.get(f"/api/v1/orders/{third['id']}", headers=factory.headers(c))).json()
    assert promoted["state"] == "offered"
    assert promoted["events"][-1]["action"] == "promote_to_offer"
    assert promoted["events"][-1]["actor"] == "system"

    # the member cancels before delivery: the next waitlisted member gets the seat
    cancelled = await client.post(
        f"/api/v1/orders/{second['id']}/cancel", json={"reason": "临时加班"}, headers=factory.headers(b)
    )
    assert cancelled.json()["state"] == "cancelled"
    assert (await client.get(f"/api/v1/orders/{fourth['id']}", headers=factory.headers(d))).json()["state"] == "offered"
    seats = (await client.get(f"/api/v1/listings/{listing.id}")).json()["sessions"][0]
    assert seats["seats_taken"] == 2 and seats["seats_left"] == 0

    for o in (third, fourth):
        await client.post(f"/api/v1/orders/{o['id']}/accept", headers=p)
    await factory.move_session(session_id, timedelta(minutes=-5))
    # attendance: c came, d did not
    marked = await client.post(
        f"/api/v1/sessions/{session_id}/attendance",
        json={"present": [third["id"]], "absent": [fourth["id"]]},
        headers=p,
    )
    assert marked.status_code == 200, marked.text
    assert {o["id"]: o["state"] for o in marked.json()} == {third["id"]: "delivered", fourth["id"]: "no_show"}

    # c disputes; a curator resolves it as received
    disputed = await client.post(
        f"/api/v1/orders/{third['id']}/dispute", json={"reason": "老师提前走了"}, headers=factory.headers(c)
    )
    assert disputed.json()["state"] == "disputed"
    no_reason = await client.post(
        f"/api/v1/orders/{third['id']}/resolve", json={"outcome": "received"}, headers=factory.headers(curator)
    )
    assert no_reason.status_code == 400
    resolved = await client.post(
        f"/api/v1/orders/{third['id']}/resolve",
        json={"outcome": "received", "reason": "已与老师核实，补课一次"},
        headers=factory.headers(curator),
    )
    assert resolved.json()["state"] == "received"
    events = [(e["action"], e["actor"], e["reason"]) for e in resolved.json()["events"]]
    assert ("dispute", "member", "老师提前走了") in events
    assert ("resolve_received", "curator", "已与老师核实，补课一次") in events
    cancel_late = await client.post(f"/api/v1/orders/{third['id']}/cancel", json={}, headers=factory.headers(c))
    assert cancel_late.status_code == 409
    assert "received" in cancel_late.json()["detail"]


async def test_auto_accept_target_groups_and_closed_listings(client, factory):
    provider = await factory.user(Role.provider)
    category = await factory.category("岗位招聘")
    rider = await factory.user(groups=["new_employment"])
    office = await factory.user()
    listing = await factory.listing(
        provider, category, title="骑手专场招聘会", auto_accept=True, target_groups=["new_employment"]
    )
    ok = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(rider))
    assert ok.status_code == 201 and ok.json()["state"] == "accepted"
    assert [e["action"] for e in ok.json()["events"]] == ["place", "auto_accept"]
    refused = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(office))
    assert refused.status_code == 403 and "new_employment" in refused.json()["detail"]

    await client.post(f"/api/v1/listings/{listing.id}/pause", headers=factory.headers(provider))
    paused = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(rider))
    assert paused.status_code == 409 and "paused" in paused.json()["detail"]
    own = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(provider))
    assert own.status_code == 409


async def test_idempotency_key_replays_the_first_response(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5), (4, 5)])
    member = await factory.user()
    headers = {**factory.headers(member), "Idempotency-Key": "tap-1"}
    first = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=headers)
    again = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    mine = (await client.get("/api/v1/orders", headers=factory.headers(member))).json()
    assert mine["total"] == 1


async def test_a_provider_cancels_an_accepted_order_before_it_starts(client, factory):
    provider = await factory.user(Role.provider, name="王老师")
    listing = await factory.listing(
        provider, await factory.category("急救培训"), title="急救知识科普", sessions=[(2, 1)], auto_accept=True
    )
    session_id = (await factory.sessions_of(listing))[0].id
    a, b = await factory.members(2)
    p = factory.headers(provider)
    ordered = [
        (
            await client.post(
                "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(x)
            )
        ).json()
        for x in (a, b)
    ]
    assert [o["state"] for o in ordered] == ["accepted", "waitlisted"]
    first, second = ordered
    url = f"/api/v1/orders/{first['id']}/provider-cancel"
    assert "provider_cancel" in (await client.get(f"/api/v1/orders/{first['id']}", headers=p)).json()["actions"]

    # a reason is required; only the order's provider may do it; others learn nothing of the order
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = await client.post(url, json=body, headers=p)
        assert refused.status_code == 400 and "reason" in refused.text, refused.text
    assert (await client.post(url, json={"reason": "x"}, headers=factory.headers(a))).status_code == 403
    other = await factory.user(Role.provider)
    assert (await client.post(url, json={"reason": "x"}, headers=factory.headers(other))).status_code == 404

    done = await client.post(url, json={"reason": "那天临时出差"}, headers=p)
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    last = done.json()["events"][-1]
    assert (last["action"], last["from"], last["to"], last["actor"]) == (
        "provider_cancel",
        "accepted",
        "cancelled",
        "provider",
    )
    assert last["reason"] == "那天临时出差"
    # the seat goes to the waiting list, as when a member cancels
    promoted = (await client.get(f"/api/v1/orders/{second['id']}", headers=factory.headers(b))).json()
    assert promoted["state"] == "accepted" and promoted["events"][-1]["action"] == "promote"
    # the member is told, in their language
    [notice] = [
        n
        for n in (await client.get("/api/v1/notifications", headers=factory.headers(a))).json()["items"]
        if n["kind"] == "order_cancelled"
    ]
    assert notice["title"] == "订单已取消：急救知识科普"
    assert notice["body"] == "服务者无法提供本次服务，已取消订单。原因：那天临时出差"
    again = await client.post(url, json={"reason": "那天临时出差"}, headers=p)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]

    # once the session has started it is too late: the union handles it
    await factory.move_session(session_id, timedelta(minutes=-5))
    late = await client.post(f"/api/v1/orders/{second['id']}/provider-cancel", json={"reason": "太晚了"}, headers=p)
    assert late.status_code == 409 and "already started" in late.json()["detail"]
