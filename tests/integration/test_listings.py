"""备货 and the menu: create, submit, approve/reject, pause/close, add sessions (上新), search and filters."""

from datetime import UTC, datetime, timedelta

from marketplace.domain.roles import Role


def _iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _listing(category_id: int, **overrides) -> dict:
    body = {
        "title": "线上心理咨询",
        "summary": "一对一倾听",
        "category_id": category_id,
        "shape": "slot",
        "mode": "online",
        "sessions": [{"starts_at": _iso(1), "ends_at": _iso(1.05), "capacity": 9}],
    }
    return body | overrides


async def test_slots_are_one_seat_and_drafts_are_private(client, factory):
    provider = await factory.user(Role.provider)
    category = await factory.category("心理咨询")
    created = await client.post("/api/v1/listings", json=_listing(category.id), headers=factory.headers(provider))
    assert created.status_code == 201, created.text
    assert created.json()["sessions"][0]["capacity"] == 1
    listing_id = created.json()["id"]
    assert (await client.get(f"/api/v1/listings/{listing_id}")).status_code == 404
    assert (await client.get(f"/api/v1/listings/{listing_id}", headers=factory.headers(provider))).status_code == 200
    assert (await client.get("/api/v1/listings")).json()["total"] == 0
    mine = (await client.get("/api/v1/listings/mine", headers=factory.headers(provider))).json()
    assert [item["state"] for item in mine["items"]] == ["draft"]


async def test_bad_listings_are_refused_with_the_field(client, factory):
    provider = await factory.user(Role.provider)
    member = await factory.user()
    category = await factory.category()
    h = factory.headers(provider)
    cases = [
        (_listing(category.id, mode="offline"), "location"),
        (_listing(987654), "category_id"),
        (_listing(category.id, shape="on_request"), "sessions"),
        (_listing(category.id, sessions=[{"starts_at": _iso(-1), "ends_at": _iso(-0.9)}]), "sessions.0.starts_at"),
    ]
    for body, field in cases:
        response = await client.post("/api/v1/listings", json=body, headers=h)
        assert response.status_code == 400, body
        assert response.json()["extra"]["field"] == field
    backwards = await client.post(
        "/api/v1/listings", json=_listing(category.id, sessions=[{"starts_at": _iso(2), "ends_at": _iso(1)}]), headers=h
    )
    assert backwards.status_code == 400
    naive = await client.post(
        "/api/v1/listings",
        json=_listing(category.id, sessions=[{"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T11:00:00"}]),
        headers=h,
    )
    assert naive.status_code == 400  # times must carry an offset
    not_provider = await client.post("/api/v1/listings", json=_listing(category.id), headers=factory.headers(member))
    assert not_provider.status_code == 403


async def test_reject_with_reason_then_fix_and_resubmit(client, factory):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    category = await factory.category()
    h, c = factory.headers(provider), factory.headers(curator)
    listing_id = (await client.post("/api/v1/listings", json=_listing(category.id), headers=h)).json()["id"]
    await client.post(f"/api/v1/listings/{listing_id}/submit", headers=h)
    pending = (await client.get("/api/v1/admin/listings/submitted", headers=c)).json()
    assert [item["id"] for item in pending["items"]] == [listing_id]
    no_reason = await client.post(f"/api/v1/admin/listings/{listing_id}/reject", json={"reason": " "}, headers=c)
    assert no_reason.status_code == 400
    rejected = await client.post(
        f"/api/v1/admin/listings/{listing_id}/reject", json={"reason": "请补充服务时长"}, headers=c
    )
    assert rejected.json()["state"] == "draft" and rejected.json()["rejection_reason"] == "请补充服务时长"
    inbox = (await client.get("/api/v1/notifications", headers=h)).json()["items"]
    assert inbox[0]["kind"] == "listing_rejected" and inbox[0]["body"] == "请补充服务时长"
    edited = await client.patch(f"/api/v1/listings/{listing_id}", json={"summary": "每次50分钟"}, headers=h)
    assert edited.status_code == 200 and edited.json()["summary"] == "每次50分钟"
    resubmitted = await client.post(f"/api/v1/listings/{listing_id}/submit", headers=h)
    assert resubmitted.json()["state"] == "submitted" and resubmitted.json()["rejection_reason"] is None
    approve_unknown_batch = await client.post(
        f"/api/v1/admin/listings/{listing_id}/approve", json={"batch_id": 4242}, headers=c
    )
    assert approve_unknown_batch.status_code == 400
    not_editable = await client.patch(f"/api/v1/listings/{listing_id}", json={"title": "新标题"}, headers=h)
    assert not_editable.status_code == 409
    by_member = await client.post(
        f"/api/v1/admin/listings/{listing_id}/approve",
        json={"batch_id": 1},
        headers=factory.headers(await factory.user()),
    )
    assert by_member.status_code == 403


async def test_pause_close_and_relist_by_clone(client, factory):
    provider = await factory.user(Role.provider)
    other = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category())
    h = factory.headers(provider)
    assert (
        await client.post(f"/api/v1/listings/{listing.id}/pause", headers=factory.headers(other))
    ).status_code == 404
    assert (await client.post(f"/api/v1/listings/{listing.id}/pause", headers=h)).json()["state"] == "paused"
    assert (await client.get("/api/v1/listings")).json()["total"] == 0
    assert (await client.post(f"/api/v1/listings/{listing.id}/resume", headers=h)).json()["state"] == "published"
    assert (await client.post(f"/api/v1/listings/{listing.id}/close", headers=h)).json()["state"] == "closed"
    again = await client.post(f"/api/v1/listings/{listing.id}/close", headers=h)
    assert again.status_code == 409 and "closed" in again.json()["detail"]
    clone = await client.post(f"/api/v1/listings/{listing.id}/clone", headers=h)
    assert clone.status_code == 201
    assert clone.json()["state"] == "draft" and clone.json()["title"] == listing.title
    original = (await client.get(f"/api/v1/listings/{listing.id}")).json()
    assert original["state"] == "closed" and len(original["sessions"]) == 1


async def test_new_sessions_tell_followers_and_members_with_a_matching_need(client, factory):
    provider = await factory.user(Role.provider)
    domain = await factory.category("医疗健康")
    first_aid = await factory.category("急救培训", parent=domain)
    listing = await factory.listing(provider, first_aid, title="急救知识科普")
    follower, needer, bystander = await factory.members(3)
    await client.post(f"/api/v1/categories/{domain.id}/follow", headers=factory.headers(follower))
    await client.post(
        "/api/v1/orders", json={"category_id": first_aid.id, "title": "想学心肺复苏"}, headers=factory.headers(needer)
    )
    added = await client.post(
        f"/api/v1/listings/{listing.id}/sessions",
        json={"sessions": [{"starts_at": _iso(10), "ends_at": _iso(10.1), "capacity": 30}]},
        headers=factory.headers(provider),
    )
    assert added.status_code == 200 and len(added.json()["sessions"]) == 2
    for person, expected in ((follower, ["new_sessions"]), (needer, ["new_sessions"]), (bystander, [])):
        inbox = (await client.get("/api/v1/notifications", headers=factory.headers(person))).json()
        assert [n["kind"] for n in inbox["items"]] == expected
    note_id = (await client.get("/api/v1/notifications", headers=factory.headers(follower))).json()["items"][0]["id"]
    read = await client.post(f"/api/v1/notifications/{note_id}/read", headers=factory.headers(follower))
    assert read.json()["read"] is True
    unread = (
        await client.get("/api/v1/notifications", params={"unread": True}, headers=factory.headers(follower))
    ).json()
    assert unread["total"] == 0
    not_yours = await client.post(f"/api/v1/notifications/{note_id}/read", headers=factory.headers(needer))
    assert not_yours.status_code == 404


async def test_menu_search_and_filters(client, factory):
    provider = await factory.user(Role.provider)
    education = await factory.category("教育培训")
    calligraphy = await factory.category("书法培训", parent=education)
    health = await factory.category("医疗健康")
    counselling = await factory.category("心理咨询", parent=health)
    brush = await factory.listing(provider, calligraphy, title="书法培训（毛笔）", summary="零基础书法入门")
    mind = await factory.listing(
        provider,
        counselling,
        title="线上心理咨询",
        mode="online",
        shape="slot",
        sessions=[(1, 1)],
        target_groups=["new_employment"],
    )
    kids = await factory.category("少儿编程", parent=education)
    full = await factory.listing(provider, kids, title="少儿编程入门", sessions=[(2, 1)])
    await factory.listing(provider, calligraphy, title="草稿：书法进阶", state="draft")
    taker = await factory.user()
    await client.post("/api/v1/orders", json={"listing_id": full.id}, headers=factory.headers(taker))

    async def ids(**params):
        response = await client.get("/api/v1/listings", params=params)
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["items"])

    assert await ids(q="书法") == [brush.id]  # the draft is not on the menu
    assert await ids(q="编程") == [full.id]
    assert await ids(q="心理") == [mind.id]
    assert await ids(q="书法 入门") == [brush.id]
    assert await ids(q="100%") == []
    assert await ids(category=education.id) == sorted([brush.id, full.id])  # children included
    assert await ids(category=counselling.id) == [mind.id]
    assert await ids(mode="online") == [mind.id]
    assert await ids(group="new_employment") == [mind.id]
    assert await ids(available=True) == sorted([brush.id, mind.id])
    page = (await client.get("/api/v1/listings", params={"limit": 1, "offset": 1})).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    card = next(i for i in (await client.get("/api/v1/listings")).json()["items"] if i["id"] == full.id)
    assert card["seats_left"] == 0 and card["sold_out"] is True
    assert card["provider"]["name"] == provider.name
    bad = await client.get("/api/v1/listings", params={"mode": "teleport"})
    assert bad.status_code == 400
    assert (await client.get("/api/v1/listings", params={"limit": 1000})).status_code == 400


async def test_english_words_match_whole_words_and_chinese_any_part(client, factory):
    provider = await factory.user(Role.provider)
    law = await factory.category("法律咨询", name_en="Legal affairs")
    tech = await factory.category("高新科技", name_en="High tech")
    ip = await factory.listing(provider, law, title="企业知识产权保护讲座")
    drawing = await factory.listing(provider, tech, title="零基础学AI绘画")
    python = await factory.listing(provider, tech, title="Python编程入门", summary="AI时代的第一门课")

    async def ids(q):
        response = await client.get("/api/v1/listings", params={"q": q})
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["items"])

    assert await ids("AI") == sorted([drawing.id, python.id])  # not "affairs"
    assert await ids("ai") == await ids("AI")
    assert await ids("affairs") == [ip.id]  # a whole English word of the category's name
    assert await ids("python") == [python.id] and await ids("pyth") == []
    assert await ids("绘画") == [drawing.id] and await ids("产权") == [ip.id]  # Chinese: any part
    assert await ids("AI 绘画") == [drawing.id]
    found = (await client.get("/api/v1/listings", params={"q": "ai"})).json()["items"]
    assert found[0]["id"] == drawing.id  # the title has the word: first


async def test_calling_a_session_off_cancels_its_orders_and_tells_members(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 1), (5, 3)])
    session_id = (await factory.sessions_of(listing))[0].id
    seated, waiting = await factory.members(2)
    for member in (seated, waiting):
        await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(member)
        )
    stranger = await factory.user(Role.provider)
    denied = await client.post(
        f"/api/v1/sessions/{session_id}/cancel", json={"reason": "场地维修"}, headers=factory.headers(stranger)
    )
    assert denied.status_code == 404
    called_off = await client.post(
        f"/api/v1/sessions/{session_id}/cancel", json={"reason": "场地维修"}, headers=factory.headers(provider)
    )
    assert called_off.status_code == 200
    for member in (seated, waiting):
        orders = (await client.get("/api/v1/orders", headers=factory.headers(member))).json()["items"]
        assert orders[0]["state"] == "cancelled"
        assert orders[0]["events"] is None
        inbox = (await client.get("/api/v1/notifications", headers=factory.headers(member))).json()["items"]
        assert inbox[0]["kind"] == "session_cancelled" and inbox[0]["body"] == "场地维修"
    detail = (await client.get(f"/api/v1/listings/{listing.id}")).json()
    assert detail["sessions"][0]["cancelled"] is True and detail["sessions"][0]["seats_left"] == 0
    order_again = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(seated)
    )
    assert order_again.status_code == 409 and "cancelled" in order_again.json()["detail"]


async def test_titles_matching_the_search_come_first(client, factory):
    provider = await factory.user(Role.provider)
    health = await factory.category("心理咨询")
    law = await factory.category("劳动争议")
    titled = await factory.listing(provider, health, title="线上心理咨询")
    # newer, so first by the default "new" order, but only its summary mentions the word
    mentions = await factory.listing(provider, law, title="劳动法讲座", summary="也谈谈职场心理压力")
    found = (await client.get("/api/v1/listings", params={"q": "心理"})).json()["items"]
    assert [item["id"] for item in found] == [titled.id, mentions.id]


async def test_batches_are_listed_a_page_at_a_time(client, factory):
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    c = factory.headers(curator)
    for name in ("第一批", "第二批", "第三批"):
        assert (await client.post("/api/v1/admin/batches", json={"name": name}, headers=c)).status_code == 201
    listed = await client.get("/api/v1/admin/batches", params={"limit": 2}, headers=factory.headers(operator))
    assert listed.status_code == 200
    assert listed.json()["total"] == 3 and [b["name"] for b in listed.json()["items"]] == ["第一批", "第二批"]
    rest = (await client.get("/api/v1/admin/batches", params={"limit": 2, "offset": 2}, headers=c)).json()
    assert rest["total"] == 3 and [b["name"] for b in rest["items"]] == ["第三批"]
    assert (await client.get("/api/v1/admin/batches", params={"limit": 0}, headers=c)).status_code == 400


async def test_sessions_repeat_weekly_and_clashes_are_skipped_with_a_list(client, factory):
    provider = await factory.user(Role.provider)
    category = await factory.category("书法培训")
    h = factory.headers(provider)
    body = _listing(category.id, shape="group", sessions=[{"starts_at": _iso(2), "ends_at": _iso(2.05), "capacity": 9}])
    listing_id = (await client.post("/api/v1/listings", json=body, headers=h)).json()["id"]
    # Another listing of the same provider holds a session in the third week: that week is skipped.
    start = datetime.now(UTC) + timedelta(days=9)
    other = _listing(category.id, shape="group", title="另一个课")
    other["sessions"] = [
        {
            "starts_at": (start + timedelta(weeks=1)).isoformat(),
            "ends_at": (start + timedelta(weeks=1, hours=2)).isoformat(),
        }
    ]
    assert (await client.post("/api/v1/listings", json=other, headers=h)).status_code == 201
    one = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 6}
    added = await client.post(
        f"/api/v1/listings/{listing_id}/sessions", json={"sessions": [one], "repeat_weeks": 4}, headers=h
    )
    assert added.status_code == 200, added.text
    answer = added.json()
    assert answer["added"] == 3 and answer["state"] == "draft"
    assert [datetime.fromisoformat(s["starts_at"]) for s in answer["skipped"]] == [start + timedelta(weeks=1)]
    assert answer["skipped"][0]["reason"] == "clash"
    starts = sorted(datetime.fromisoformat(s["starts_at"]) for s in answer["sessions"])
    assert starts[1:] == [start, start + timedelta(weeks=2), start + timedelta(weeks=3)]
    assert {s["capacity"] for s in answer["sessions"][1:]} == {6}
    # The same again: every one clashes now, so nothing is added and the refusal says why.
    again = await client.post(
        f"/api/v1/listings/{listing_id}/sessions", json={"sessions": [one], "repeat_weeks": 4}, headers=h
    )
    assert again.status_code == 409 and again.json()["extra"]["field"] == "sessions"
    assert "clashes" in again.json()["detail"]


async def test_repeats_are_bounded(client, factory):
    provider = await factory.user(Role.provider)
    category = await factory.category("书法培训")
    h = factory.headers(provider)
    body = _listing(category.id, shape="group")
    listing_id = (await client.post("/api/v1/listings", json=body, headers=h)).json()["id"]
    one = {"starts_at": _iso(30), "ends_at": _iso(30.05)}
    path = f"/api/v1/listings/{listing_id}/sessions"
    for extra in ({"repeat_weeks": 27}, {"repeat_weeks": 0}, {"repeat_weeks": "3"}):
        assert (await client.post(path, json={"sessions": [one], **extra}, headers=h)).status_code == 400, extra
    far = (datetime.now(UTC) + timedelta(days=30 + 7 * 30)).date().isoformat()
    assert (await client.post(path, json={"sessions": [one], "repeat_until": far}, headers=h)).status_code == 400
    both = {"sessions": [one], "repeat_until": far, "repeat_weeks": 2}
    assert (await client.post(path, json=both, headers=h)).status_code == 400
    many = {
        "sessions": [{"starts_at": _iso(30 + d), "ends_at": _iso(30.01 + d)} for d in range(10)],
        "repeat_weeks": 21,
    }
    assert (await client.post(path, json=many, headers=h)).status_code == 400
    until = (datetime.now(UTC) + timedelta(days=30 + 14)).date().isoformat()
    added = await client.post(path, json={"sessions": [one], "repeat_until": until}, headers=h)
    assert added.status_code == 200 and added.json()["added"] == 3
