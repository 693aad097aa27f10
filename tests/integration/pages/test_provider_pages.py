"""The provider console through the test client: listings with sessions, offers, attendance, reviews, profile."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from marketplace.domain.roles import Role


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{re.escape(field)}">([^<]*)</p>', html)
    return found.group(1) if found else ""


def _local(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


async def test_provider_creates_submits_and_adds_sessions(pages, factory):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    pages.login(provider)
    assert (await pages.get("/provider")).status_code == 200
    form = await pages.get("/provider/listings/new")
    assert form.status_code == 200 and 'name="starts_at"' in form.text
    refused = await pages.post(
        "/provider/listings/new",
        {
            "title": "x",
            "category_id": str(category.id),
            "shape": "group",
            "mode": "offline",
            "location": "",
            "starts_at": [_local(-1), ""],
            "minutes": ["60", "60"],
            "capacity": ["10", ""],
        },
    )
    assert refused.status_code == 400
    assert _field_error(refused.text, "title")  # too short, beside the title
    created = await pages.post(
        "/provider/listings/new",
        {
            "title": "书法培训（硬笔）",
            "summary": "劳模带你练好字",
            "category_id": str(category.id),
            "shape": "group",
            "mode": "offline",
            "location": "南山工人文化宫",
            "starts_at": [_local(-1), ""],
            "minutes": ["90", "60"],
            "capacity": ["10", ""],
        },
    )
    assert created.status_code == 400 and "将来" in _field_error(created.text, "sessions.0.starts_at")
    assert "劳模带你练好字" in created.text  # what was typed stays
    created = await pages.post(
        "/provider/listings/new",
        {
            "title": "书法培训（硬笔）",
            "category_id": str(category.id),
            "shape": "group",
            "mode": "offline",
            "location": "南山工人文化宫",
            "starts_at": [_local(3), _local(10)],
            "minutes": ["90", "60"],
            "capacity": ["10", "8"],
            "target_groups": "parent",
        },
    )
    assert created.status_code == 303, created.text
    path = created.headers["location"].split("?")[0]
    listing_id = int(path.rsplit("/", 1)[1])
    page = await pages.get(path)
    assert page.status_code == 200 and "草稿" in page.text and page.text.count("<tr>") == 3
    assert (await pages.post(f"{path}/submit")).status_code == 303
    assert "待审核" in (await pages.get(path)).text
    added = await pages.post(f"{path}/sessions", {"starts_at": _local(20), "minutes": "60", "capacity": "5"})
    assert added.status_code == 303
    assert (await pages.get(path)).text.count("<tr>") == 4
    bad = await pages.post(f"{path}/sessions", {"starts_at": "", "minutes": "60", "capacity": "5"})
    assert bad.status_code == 400 and _field_error(bad.text, "sessions.0.starts_at")
    assert (await pages.post(f"{path}/pause")).status_code == 409  # submitted, not published
    other = await factory.provider([category])
    pages.login(other)
    assert (await pages.get(f"/provider/listings/{listing_id}")).status_code == 404


async def test_provider_accepts_an_offer_and_delivers_with_attendance(pages, factory, client):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, sessions=((2, 10),))
    session = (await factory.sessions_of(listing))[0]
    came, absent = await factory.user(name="来了"), await factory.user(name="没来")
    ids = []
    for member in (came, absent):
        placed = await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session.id}, headers=factory.headers(member)
        )
        ids.append(placed.json()["id"])
    pages.login(provider)
    home = await pages.get("/provider")
    assert "来了" in home.text and "请在" in home.text  # offers with their deadline
    declined = await pages.post(f"/orders/{ids[1]}/decline", {"reason": ""})
    assert declined.status_code == 400 and _field_error(declined.text, "decline.reason")
    for order_id in ids:
        assert (await pages.post(f"/orders/{order_id}/accept")).status_code == 303
    schedule = await pages.get("/provider/schedule")
    assert schedule.status_code == 200 and f"/provider/sessions/{session.id}/attendance" in schedule.text
    early = await pages.post(
        f"/provider/sessions/{session.id}/attendance", {"orders": [str(i) for i in ids], "present": str(ids[0])}
    )
    assert early.status_code == 409 and "开始后" in early.text
    await factory.move_session(session.id, timedelta(minutes=-10))
    done = await pages.post(
        f"/provider/sessions/{session.id}/attendance", {"orders": [str(i) for i in ids], "present": str(ids[0])}
    )
    assert done.status_code == 303
    marked = await pages.get(f"/provider/sessions/{session.id}/attendance")
    assert "已服务，请签收" in marked.text and "缺席" in marked.text
    member_view = await client.get(f"/api/v1/orders/{ids[0]}", headers=factory.headers(came))
    assert member_view.json()["state"] == "delivered"


async def test_provider_replies_to_reviews_and_edits_the_profile(pages, factory, client):
    category = await factory.category("法律咨询")
    provider = await factory.provider([category])
    member = await factory.user()
    listing = await factory.listing(provider, category, auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    review = await client.post(f"/api/v1/orders/{order['id']}/review", json={"stars": 4, "text": "不错"}, headers=m)
    review_id = review.json()["review_id"]
    pages.login(provider)
    page = await pages.get("/provider/reviews")
    assert "不错" in page.text
    empty = await pages.post(f"/provider/reviews/{review_id}/reply", {"text": ""})
    assert empty.status_code == 400 and _field_error(empty.text, f"{review_id}.text")
    assert (await pages.post(f"/provider/reviews/{review_id}/reply", {"text": "谢谢"})).status_code == 303
    assert "谢谢" in (await pages.get("/provider/reviews")).text
    profile = await pages.get("/provider/profile")
    assert profile.status_code == 200 and "法律咨询" in profile.text
    saved = await pages.post(
        "/provider/profile",
        {
            "bio": "二十年律师",
            "honours": "全国劳动模范\n南山工匠",
            "skills": "合同，劳动法",
            "category_ids": str(category.id),
        },
    )
    assert saved.status_code == 303
    public = (await client.get(f"/api/v1/providers/{provider.id}")).json()
    assert public["honours"] == ["全国劳动模范", "南山工匠"] and public["skills"] == ["合同", "劳动法"]
    refused = await pages.post("/provider/profile", {"capacity": "0", "bio": "改了"})
    assert refused.status_code == 400 and _field_error(refused.text, "capacity") and "改了" in refused.text


async def test_members_cannot_open_the_console(pages, factory):
    pages.login(await factory.user())
    assert (await pages.get("/provider/schedule")).status_code == 403
    pages.login(await factory.user(Role.curator))
    assert (await pages.get("/provider/listings/new")).status_code == 403


async def test_provider_relists_and_calls_a_session_off_from_the_console(pages, client, factory):
    from marketplace.domain.roles import Role

    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), title="急救知识科普", sessions=[(3, 5)])
    session_id = (await factory.sessions_of(listing))[0].id
    member = await factory.user()
    await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    pages.login(provider)

    page = await pages.get(f"/provider/listings/{listing.id}")
    assert page.status_code == 200
    assert "上新到新批次" in page.text and "取消本场次" in page.text

    no_reason = await pages.post(f"/provider/sessions/{session_id}/cancel", {"reason": ""})
    assert no_reason.status_code == 400
    assert f'id="e-cancel-{session_id}.reason"' in no_reason.text
    called_off = await pages.post(f"/provider/sessions/{session_id}/cancel", {"reason": "场地维修"})
    assert called_off.status_code in (302, 303)
    orders = (await client.get("/api/v1/orders", headers=factory.headers(member))).json()["items"]
    assert orders[0]["state"] == "cancelled"

    relisted = await pages.post(f"/provider/listings/{listing.id}/clone")
    assert relisted.status_code in (302, 303)
    copy_id = int(relisted.headers["location"].split("/")[3].split("?")[0])
    assert copy_id != listing.id
    copy = (await client.get(f"/api/v1/listings/{copy_id}", headers=factory.headers(provider))).json()
    assert copy["state"] == "draft" and copy["title"] == "急救知识科普"

    stranger = await factory.user(Role.provider)
    pages.login(stranger)
    assert (await pages.post(f"/provider/sessions/{session_id}/cancel", {"reason": "x"})).status_code == 404


async def test_provider_edits_a_draft_sent_back_and_submits_it_again(pages, client, factory):
    from marketplace.domain.roles import Role

    provider = await factory.user(Role.provider)
    category = await factory.category()
    draft = await factory.listing(provider, category, title="书法培训", state="draft", sessions=[(4, 10)])
    published = await factory.listing(provider, category, title="急救知识科普")
    pages.login(provider)

    form = await pages.get(f"/provider/listings/{draft.id}/edit")
    assert form.status_code == 200 and 'value="书法培训"' in form.text
    base = {
        "title": "书法培训（硬笔）",
        "summary": "每周六上午",
        "description": "",
        "category_id": str(category.id),
        "mode": "offline",
        "location": "南山工人文化宫",
    }
    too_short = await pages.post(f"/provider/listings/{draft.id}/edit", {**base, "title": "书"})
    assert too_short.status_code == 400 and 'id="e-title"' in too_short.text
    assert 'value="每周六上午"' in too_short.text  # what was typed stays
    no_place = await pages.post(f"/provider/listings/{draft.id}/edit", {**base, "location": ""})
    assert no_place.status_code == 400 and 'id="e-location"' in no_place.text
    saved = await pages.post(f"/provider/listings/{draft.id}/edit", base)
    assert saved.status_code in (302, 303)
    shown = (await client.get(f"/api/v1/listings/{draft.id}", headers=factory.headers(provider))).json()
    assert shown["title"] == "书法培训（硬笔）" and shown["summary"] == "每周六上午" and shown["state"] == "draft"

    not_a_draft = await pages.post(f"/provider/listings/{published.id}/edit", base)
    assert not_a_draft.status_code == 409


async def test_provider_sets_weekly_availability_and_capacity_on_the_profile_page(pages, factory, client):
    category = await factory.category("法律咨询")
    provider = await factory.provider([category], availability=[{"weekday": 0, "start": "19:00", "end": "21:00"}])
    pages.login(provider)
    shown = await pages.get("/provider/profile")
    assert "每周通常有空的时间" in shown.text and 'value="19:00"' in shown.text and "星期一" in shown.text
    form = {
        "bio": "律师",
        "category_ids": str(category.id),
        "capacity": "4",
        "avail_weekday": ["2", "5", "0"],
        "avail_start": ["18:30", "09:00", ""],
        "avail_end": ["20:00", "00:00", ""],  # the empty row is skipped; 00:00 is midnight
    }
    assert (await pages.post("/provider/profile", form)).status_code == 303
    public = (await client.get(f"/api/v1/providers/{provider.id}")).json()
    assert public["capacity"] == 4
    assert public["availability"] == [
        {"weekday": 2, "start": "18:30", "end": "20:00"},
        {"weekday": 5, "start": "09:00", "end": "00:00"},
    ]
    again = await pages.get("/provider/profile")
    assert 'value="18:30"' in again.text and 'value="09:00"' in again.text

    refused = await pages.post(
        "/provider/profile",
        {**form, "avail_weekday": ["2", "3"], "avail_start": ["18:30", "21:00"], "avail_end": ["20:00", "19:00"]},
    )
    assert refused.status_code == 400
    assert _field_error(refused.text, "availability.1") == "结束时间须晚于开始时间"
    assert len((await client.get(f"/api/v1/providers/{provider.id}")).json()["availability"]) == 2  # kept


async def test_the_providers_next_step_follows_the_clock(pages, factory, client):
    """Issue #13 item 5: right after 接单 the big button is not 标记已服务 days early; the page says when."""
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 5)])
    member = await factory.user()
    order = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    await client.post(f"/api/v1/orders/{order['id']}/accept", headers=factory.headers(provider))
    pages.login(provider)
    early = await pages.get(f"/orders/{order['id']}")
    assert 'id="deliver-hint"' in early.text and "后可标记已服务" in early.text
    assert f'action="/orders/{order["id"]}/deliver"' not in early.text
    assert f'action="/orders/{order["id"]}/no_show"' not in early.text
    await factory.move_session(order["session"]["id"], timedelta(minutes=-5))
    begun = await pages.get(f"/orders/{order['id']}")
    assert 'id="deliver-hint"' not in begun.text
    assert f'action="/orders/{order["id"]}/deliver"' in begun.text


async def test_weekly_sessions_from_the_page_list_what_was_skipped(pages, factory):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, sessions=[(10, 10)])
    held = (await factory.sessions_of(listing))[0]
    pages.login(provider)
    path = f"/provider/listings/{listing.id}"
    form = await pages.get(path)
    assert 'name="repeat_weeks"' in form.text and "每周一次，共 8 周" in form.text
    first = held.starts_at - timedelta(weeks=1, minutes=30)
    local = first.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    added = await pages.post(
        f"{path}/sessions", {"starts_at": local, "minutes": "60", "capacity": "12", "repeat_weeks": "3"}
    )
    assert added.status_code == 303
    shown = await pages.get(added.headers["location"])
    assert "已添加场次：2 个。" in shown.text
    assert "与您已有的场次时间冲突" in shown.text
    skipped = re.search(r'<ul class="skipped">(.*?)</ul>', shown.text, re.S).group(1)
    assert skipped.count("<li>") == 1
    assert shown.text.count("<tr>") == 4  # the header, the session held and the two added
    nonsense = await pages.get(f"{path}?added=1&skipped=x,20261301")
    assert nonsense.status_code == 200 and '<ul class="skipped">' not in nonsense.text


async def test_a_new_provider_is_guided_to_the_first_listing_and_previews_it(pages, factory):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="新老师")
    pages.login(provider)
    home = await pages.get("/provider")
    assert "欢迎！把您的第一项服务放上菜单" in home.text and 'href="/provider/listings/new"' in home.text
    created = await pages.post(
        "/provider/listings/new",
        {
            "title": "硬笔书法入门",
            "summary": "劳模带你练好字",
            "category_id": str(category.id),
            "shape": "group",
            "mode": "offline",
            "location": "南山工人文化宫",
            "starts_at": _local(5),
            "minutes": "90",
            "capacity": "12",
            "next": "preview",
        },
    )
    assert created.status_code == 303 and created.headers["location"].endswith("/preview")
    preview = await pages.get(created.headers["location"])
    assert preview.status_code == 200
    assert "审核通过后，会员看到的服务项目就是这样。" in preview.text
    assert "劳模带你练好字" in preview.text and "12 / 12" in preview.text and "提交审核" in preview.text
    listing_id = int(created.headers["location"].split("/")[-2])
    # Changing the draft and previewing again shows the change; then it is submitted from the preview.
    edited = await pages.post(
        f"/provider/listings/{listing_id}/edit",
        {
            "title": "硬笔书法入门（周末班）",
            "category_id": str(category.id),
            "mode": "offline",
            "location": "南山工人文化宫",
            "next": "preview",
        },
    )
    assert edited.status_code == 303 and edited.headers["location"].endswith("/preview")
    assert "硬笔书法入门（周末班）" in (await pages.get(edited.headers["location"])).text
    submitted = await pages.post(f"/provider/listings/{listing_id}/submit")
    assert submitted.status_code == 303
    assert "待审核" in (await pages.get(submitted.headers["location"])).text
    assert "欢迎！把您的第一项服务放上菜单" not in (await pages.get("/provider")).text
    # Someone else's listing has no preview for this provider.
    other = await factory.provider([category])
    pages.login(other)
    assert (await pages.get(f"/provider/listings/{listing_id}/preview")).status_code == 404


def _png(size=(900, 600)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(out, "PNG")
    return out.getvalue()


async def test_pictures_from_the_console_show_on_the_listing_page_and_the_menu(pages, factory, client):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="硬笔书法")
    pages.login(provider)
    path = f"/provider/listings/{listing.id}"
    form = await pages.get(path)
    assert 'enctype="multipart/form-data"' in form.text and 'accept="image/jpeg,image/png,image/webp"' in form.text
    refused = await pages.post_files(f"{path}/pictures", files={"file": ("a.jpg", b"GIF89a nonsense", "image/jpeg")})
    assert refused.status_code == 400 and "只接受 JPEG、PNG 或 WebP 格式的图片。" in refused.text
    added = await pages.post_files(f"{path}/pictures", files={"file": ("a.png", _png(), "image/png")})
    assert added.status_code == 303, added.text
    shown = await pages.get(added.headers["location"])
    assert "图片已添加。" in shown.text
    thumb = re.search(
        r'<img src="(/pictures/[0-9a-f]{32}-t\.webp)" width="400" height="267" loading="lazy"', shown.text
    )
    assert thumb, shown.text
    public = await client.get(f"/listings/{listing.id}")
    assert re.search(r'<img src="/pictures/[0-9a-f]{32}\.webp" width="900" height="600"', public.text)
    menu = await client.get("/menu")
    assert f'src="{thumb.group(1)}"' in menu.text and 'loading="lazy"' in menu.text
    picture_id = re.search(rf'action="{path}/pictures/(\d+)/remove"', shown.text).group(1)
    removed = await pages.post(f"{path}/pictures/{picture_id}/remove")
    assert removed.status_code == 303
    assert "/pictures/" not in (await pages.get(path)).text


async def test_provider_cancels_an_accepted_order_from_its_page_after_a_confirmation_step(pages, factory):
    provider = await factory.provider([await factory.category("急救培训")], name="王老师")
    listing = await factory.listing(provider, await factory.category("急救"), title="急救知识科普", sessions=[(2, 1)])
    member, waiting = await factory.members(2)
    order = await factory.order_in_state(member, listing, "accepted", provider=provider)
    queued = await factory.order_in_state(waiting, listing, "waitlisted")
    pages.login(provider)
    shown = (await pages.get(f"/orders/{order.id}")).text
    # the step before: what follows (the seat to the waiting list, the member told), a required reason
    assert "<summary>取消订单（无法服务）</summary>" in shown and 'id="provider_cancel-step"' in shown
    assert "顺延给候补名单上的第一位会员" in shown and "系统会把您填写的原因告知会员" in shown
    empty = await pages.post(f"/orders/{order.id}/provider_cancel", {"reason": ""})
    assert empty.status_code == 400 and _field_error(empty.text, "provider_cancel.reason")
    assert "<details open>" in empty.text  # the step stays open beside its error
    tap = {"reason": "那天临时出差", "_form_key": "form:provider-cancel-1"}
    done = await pages.post(f"/orders/{order.id}/provider_cancel", tap)
    assert done.status_code == 303 and "ok=provider_cancel" in done.headers["location"]
    again = await pages.post(f"/orders/{order.id}/provider_cancel", tap)  # a double tap: the same page
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    after = (await pages.get(done.headers["location"])).text
    assert "订单已取消，已通知会员。" in after and "服务者取消了订单" in after and "那天临时出差" in after
    pages.login(waiting)  # the freed seat goes to the waiting list: offered to the provider
    assert '<span class="badge warn">等待服务者接单</span>' in (await pages.get(f"/orders/{queued.id}")).text
