"""Member pages through the test client: render, log in, order, sign off, review, refusals beside the field."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

from marketplace.domain.roles import Role

from ...codes import last_code


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{re.escape(field)}">([^<]*)</p>', html)
    return found.group(1) if found else ""


async def _published(factory, title="书法培训（硬笔）", **kwargs):
    provider = await factory.provider(name="王老师", honours=["深圳工匠"], star_level=4)
    domain = await factory.category("教育培训", slug=f"edu-{title[:1]}-{id(kwargs)}")
    category = await factory.category("书法培训", parent=domain)
    listing = await factory.listing(provider, category, title=title, **kwargs)
    return provider, category, listing


async def test_public_pages_render_for_anyone(pages, factory):
    _, category, listing = await _published(factory, summary="劳模带你练好字")
    home = await pages.get("/")
    assert home.status_code == 200
    assert "教育培训" in home.text and "书法培训（硬笔）" in home.text  # the domains and 上新
    found = await pages.get("/menu", params={"q": "书法"})
    assert found.status_code == 200 and f"/listings/{listing.id}" in found.text
    nothing = await pages.get("/menu", params={"q": "不存在的服务"})
    assert f"/listings/{listing.id}" not in nothing.text
    shown = await pages.get(f"/listings/{listing.id}")
    assert shown.status_code == 200
    assert "王老师" in shown.text and "深圳工匠" in shown.text and "★★★★" in shown.text
    assert 'data-seats-for="' in shown.text
    assert (await pages.get("/listings/999999")).status_code == 404
    assert (await pages.get("/no-such-page")).status_code == 404
    assert "<html" in (await pages.get("/no-such-page")).text


async def test_member_pages_redirect_to_login_when_logged_out(pages):
    for path in ["/orders", "/orders/1", "/notices", "/need", "/me", "/provider", "/desk", "/desk/categories"]:
        answer = await pages.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next="), path


async def test_register_proves_the_phone_first_then_sets_an_httponly_lax_cookie(pages, factory, settings):
    step_one = await pages.get("/register")
    assert 'formaction="/code/register"' in step_one.text and 'name="code"' not in step_one.text
    refused = await pages.post("/code/register", {"phone": "12345"})
    assert refused.status_code == 400 and "11 位" in _field_error(refused.text, "phone")
    sent = await pages.post("/code/register", {"phone": "13912345678"})
    assert sent.status_code == 303 and sent.headers["location"] == "/register"  # post/redirect/get
    step_two = await pages.get("/register")
    assert 'name="code"' in step_two.text and "139****5678" in step_two.text and "5 分钟" in step_two.text
    code = last_code(settings, "13912345678", "register")
    typed = {"name": "刘师傅", "phone": "13912345678", "password": "short", "code": code}
    short = await pages.post("/register", typed)
    assert short.status_code == 400 and "刘师傅" in short.text  # kept
    assert "至少 8" in _field_error(short.text, "password")
    wrong = await pages.post("/register", {**typed, "password": "long-enough-1", "code": "000000"})
    assert wrong.status_code == 400 and "验证码" in _field_error(wrong.text, "code")
    registered = await pages.post("/register", {**typed, "password": "long-enough-1"})
    assert registered.status_code == 303 and registered.headers["location"] == "/?ok=welcome"
    cookie = registered.headers["set-cookie"]
    assert "mkt_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "刘师傅" in (await pages.get("/me")).text
    again = await pages.post("/register", {**typed, "password": "long-enough-1"})  # the code was spent
    assert again.status_code == 400 and "验证码" in _field_error(again.text, "code")
    await pages.post("/code/register", {"phone": "13912345678"})
    code = last_code(settings, "13912345678", "register")
    proven = await pages.post("/register", {**typed, "name": "别人", "password": "long-enough-1", "code": code})
    assert proven.status_code == 409 and "已有账号" in _field_error(proven.text, "phone")


async def test_login_refusal_shows_beside_the_password_and_logout_clears_the_cookie(pages, factory):
    member = await factory.user(name="李师傅")
    wrong = await pages.post("/login", {"phone": member.phone, "password": "wrong-password"})
    assert wrong.status_code == 401 and "不正确" in _field_error(wrong.text, "password")
    assert member.phone in wrong.text  # the phone typed is kept, the password is not
    ok = await pages.post("/login", {"phone": member.phone, "password": "correct-horse-1", "next": "/orders"})
    assert ok.status_code == 303 and ok.headers["location"] == "/orders?ok=hello"
    assert (await pages.get("/orders")).status_code == 200
    out = await pages.post("/logout")
    assert out.status_code == 303
    assert out.headers["set-cookie"].startswith("mkt_session=") and "max-age=0" in out.headers["set-cookie"].lower()
    assert (await pages.get("/orders")).status_code == 303


async def test_forms_are_refused_without_a_csrf_token(pages, factory):
    member = await factory.user()
    pages.login(member)
    refused = await pages.post("/login", {"phone": member.phone, "password": "correct-horse-1"}, csrf=False)
    assert refused.status_code == 403 and "表单已过期" in refused.text
    _, _, listing = await _published(factory)
    sessions = await factory.sessions_of(listing)
    refused = await pages.post(f"/listings/{listing.id}/order", {"session_id": sessions[0].id}, csrf=False)
    assert refused.status_code == 403
    forged = await pages.client.post(
        f"/listings/{listing.id}/order", data={"session_id": sessions[0].id, "_csrf_token": "x" * 128}
    )
    assert forged.status_code == 403
    assert (await pages.get("/orders")).text.count("/orders/") == 0


async def test_order_sign_off_review_and_reorder_through_the_pages(pages, factory, client):
    provider, _, listing = await _published(factory, sessions=((2, 5), (9, 5)))
    member = await factory.user(name="刘师傅")
    pages.login(member)
    first, second = await factory.sessions_of(listing)
    placed = await pages.post(f"/listings/{listing.id}/order", {"session_id": first.id})
    assert placed.status_code == 303
    order_path = placed.headers["location"].split("?")[0]
    order_id = int(order_path.rsplit("/", 1)[1])
    shown = await pages.get(order_path)
    assert shown.status_code == 200 and "等待服务者接单" in shown.text and "进度" in shown.text
    twice = await pages.post(f"/listings/{listing.id}/order", {"session_id": first.id})
    assert twice.status_code == 409 and "已报名" in _field_error(twice.text, "session_id")

    p = factory.headers(provider)
    assert (await client.post(f"/api/v1/orders/{order_id}/accept", headers=p)).status_code == 200
    await factory.move_session(first.id, timedelta(minutes=-30))
    assert (await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=p)).status_code == 200

    mine = await pages.get("/orders")
    assert f'action="/orders/{order_id}/receive"' in mine.text  # the next action, one button on the list
    signed = await pages.post(f"/orders/{order_id}/receive")
    assert signed.status_code == 303 and signed.headers["location"] == f"/orders/{order_id}?ok=receive"
    no_stars = await pages.post(f"/orders/{order_id}/review", {"text": "很好"})
    assert no_stars.status_code == 400
    assert _field_error(no_stars.text, "review.stars") and "很好" in no_stars.text
    reviewed = await pages.post(
        f"/orders/{order_id}/review", {"stars": "5", "text": "老师很耐心", "tags": ["patient", "clear"]}
    )
    assert reviewed.status_code == 303
    page = await pages.get(f"/orders/{order_id}")
    # 再来一单 leads to the listing to choose a session, never books a date picked for the member
    assert "已评价" in page.text and f'action="/orders/{order_id}/reorder"' not in page.text
    assert f'href="/listings/{listing.id}#order-h"' in page.text
    listed = await pages.get(f"/listings/{listing.id}")
    assert f'value="{second.id}"' in listed.text  # the later session is there to choose
    pages.logout()
    listing_page = await pages.get(f"/listings/{listing.id}")
    assert "老师很耐心" in listing_page.text and "刘**" in listing_page.text


async def test_a_refused_action_is_undone_whole_and_shown_on_the_order(pages, factory):
    _, _, listing = await _published(factory, sessions=((2, 1),))
    member = await factory.user()
    pages.login(member)
    session = (await factory.sessions_of(listing))[0]
    placed = await pages.post(f"/listings/{listing.id}/order", {"session_id": session.id})
    order_id = int(placed.headers["location"].split("?")[0].rsplit("/", 1)[1])
    illegal = await pages.post(f"/orders/{order_id}/receive")
    assert illegal.status_code in (403, 409)
    assert 'class="flash bad"' in illegal.text
    assert (await pages.post(f"/orders/{order_id}/no-such-action")).status_code == 404
    cancelled = await pages.post(f"/orders/{order_id}/cancel", {"reason": "时间冲突"})
    assert cancelled.status_code == 303
    other = await factory.user()
    pages.login(other)
    assert (await pages.get(f"/orders/{order_id}")).status_code == 404  # not yours


async def test_need_form_shows_each_error_beside_its_field(pages, factory):
    domain = await factory.category("医疗健康", slug="health-x")
    member = await factory.user()
    pages.login(member)
    form = await pages.get("/need")
    assert form.status_code == 200 and "医疗健康" in form.text
    refused = await pages.post("/need", {"category_id": "", "title": "x", "description": "夜班多"})
    assert refused.status_code == 400
    assert _field_error(refused.text, "category_id") and _field_error(refused.text, "title")
    assert "夜班多" in refused.text
    posted = await pages.post("/need", {"category_id": str(domain.id), "title": "想找人聊聊", "mode": "online"})
    assert posted.status_code == 303 and "ok=need" in posted.headers["location"]


async def test_follow_and_notices(pages, factory):
    _, category, listing = await _published(factory)
    member = await factory.user()
    pages.login(member)
    followed = await pages.post(f"/categories/{category.id}/follow", {"next": f"/listings/{listing.id}"})
    assert followed.status_code == 303 and followed.headers["location"] == f"/listings/{listing.id}?ok=followed"
    assert "已关注" in (await pages.get(f"/listings/{listing.id}")).text
    assert (await pages.get("/notices")).status_code == 200
    assert (await pages.post("/notices/read")).status_code == 303


async def test_english_pages_through_the_language_switch(pages, factory):
    _, _, listing = await _published(factory)
    switched = await pages.get("/lang/en", params={"next": f"/listings/{listing.id}"})
    assert switched.status_code == 303 and switched.headers["location"] == f"/listings/{listing.id}"
    english = await pages.get(f"/listings/{listing.id}")
    assert '<html lang="en">' in english.text and "Order a seat" in english.text and "Reviews" in english.text
    await pages.get("/lang/zh-CN")
    chinese = await pages.get(f"/listings/{listing.id}")
    assert '<html lang="zh-CN">' in chinese.text and "报名" in chinese.text
    assert (await pages.get("/lang/en", params={"next": "//evil.example"})).headers["location"] == "/"


async def test_wrong_role_is_refused(pages, factory):
    member = await factory.user()
    pages.login(member)
    for path in ["/provider", "/provider/listings", "/desk", "/desk/categories", "/desk/export/orders.csv"]:
        assert (await pages.get(path)).status_code == 403, path
    operator = await factory.user(Role.operator)
    pages.login(operator)
    assert (await pages.get("/desk")).status_code == 200
    assert (await pages.get("/desk/orders")).status_code == 200
    assert (await pages.get("/desk/accounts")).status_code == 200  # to deactivate an account, not to set roles
    for path in ["/desk/categories", "/desk/approvals", "/desk/reviews"]:
        assert (await pages.get(path)).status_code == 403, path
    assert (await pages.post(f"/desk/accounts/{member.id}/roles", {"roles": "curator"})).status_code == 403


async def test_a_promoted_member_confirms_the_seat_from_the_order_page(pages, client, factory):
    from marketplace.domain.roles import Role

    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 1)], auto_accept=True)
    first, second = await factory.members(2)
    placed = []
    for member in (first, second):
        response = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
        placed.append(response.json())
    assert placed[1]["state"] == "waitlisted"
    await client.post(f"/api/v1/orders/{placed[0]['id']}/cancel", json={}, headers=factory.headers(first))

    pages.login(second)
    page = await pages.get(f"/orders/{placed[1]['id']}")
    assert page.status_code == 200
    assert "确认参加</button>" in page.text
    confirmed = await pages.post(f"/orders/{placed[1]['id']}/confirm")
    assert confirmed.status_code in (302, 303)
    after = (await client.get(f"/api/v1/orders/{placed[1]['id']}", headers=factory.headers(second))).json()
    assert after["events"][-1]["action"] == "confirm" and after["confirm_by"] is None
    page = await pages.get(f"/orders/{placed[1]['id']}")
    assert "确认参加</button>" not in page.text and "已确认参加" in page.text


async def test_a_need_says_when_it_suits_the_member(pages, client, factory):
    category = await factory.category("心理咨询")
    member = await factory.user()
    pages.login(member)
    base = {"category_id": str(category.id), "title": "想聊聊工作压力", "mode": "online"}
    # Within the need's life (a week): the day after tomorrow, in the market's zone (Shanghai, UTC+8)
    from datetime import UTC, datetime

    day = (datetime.now(UTC) + timedelta(days=2)).date()
    backwards = await pages.post("/need", {**base, "preferred_from": f"{day}T19:00", "preferred_to": f"{day}T18:00"})
    assert backwards.status_code == 400 and 'id="e-preferred_to"' in backwards.text
    assert 'value="想聊聊工作压力"' in backwards.text
    half = await pages.post("/need", {**base, "preferred_from": f"{day}T19:00"})
    assert half.status_code == 400 and 'id="e-preferred_to"' in half.text
    posted = await pages.post("/need", {**base, "preferred_from": f"{day}T19:00", "preferred_to": f"{day}T21:00"})
    assert posted.status_code in (302, 303)
    order = (await client.get("/api/v1/orders", headers=factory.headers(member))).json()["items"][0]
    assert order["kind"] == "need"
    # 19:00 in the market's zone (Shanghai) is 11:00 UTC
    window = {k: datetime.fromisoformat(v).astimezone(UTC) for k, v in order["preferred_times"][0].items()}
    assert window == {
        "starts_at": datetime(day.year, day.month, day.day, 11, tzinfo=UTC),
        "ends_at": datetime(day.year, day.month, day.day, 13, tzinfo=UTC),
    }


async def test_the_menu_form_as_the_page_sends_it_with_empty_filters(pages, factory):
    """The menu's own form sends every field, empty ones too (issue #13: that was a 400 in English)."""
    provider = await factory.user(Role.provider)
    category = await factory.category("书法培训")
    await factory.listing(provider, category, title="硬笔书法入门")
    await factory.listing(provider, await factory.category("急救培训"), title="急救知识科普")
    blank = {"q": "书法", "category": "", "mode": "", "group": "", "available": "", "sort": "new"}
    found = await pages.get("/menu", params=blank)
    assert found.status_code == 200 and "硬笔书法入门" in found.text and "急救知识科普" not in found.text
    narrowed = await pages.get("/menu", params={**blank, "q": "", "category": str(category.id), "mode": "offline"})
    assert narrowed.status_code == 200 and "硬笔书法入门" in narrowed.text and "急救知识科普" not in narrowed.text
    odd = await pages.get("/menu", params={**blank, "category": "abc", "mode": "teleport"})
    assert odd.status_code == 400 and "Validation failed" not in odd.text and 'lang="zh-CN"' in odd.text


async def test_feedback_says_what_happened_in_chinese(pages, factory, client):
    """Issue #13, items 3 and 4: a waiting list is not "ordered", a booked session shows as booked, a
    group-only listing says so, the system's timeline reasons and the arrangement notice are Chinese."""
    provider, _, listing = await _published(factory, sessions=((2, 1), (5, 3)), auto_accept=True)
    first_session, later_session = await factory.sessions_of(listing)
    holder, member = await factory.members(2)
    await client.post(
        "/api/v1/orders",
        json={"listing_id": listing.id, "session_id": first_session.id},
        headers=factory.headers(holder),
    )
    pages.login(member)
    waiting = await pages.post(f"/listings/{listing.id}/order", {"session_id": first_session.id})
    assert waiting.headers["location"].endswith("?ok=waitlisted")
    shown = await pages.get(waiting.headers["location"])
    assert "您已进入候补名单" in shown.text and "服务者接单后会通知您" not in shown.text
    assert "场次已满" in shown.text and "the session is full" not in shown.text  # the timeline's reason
    booked = await pages.post(f"/listings/{listing.id}/order", {"session_id": later_session.id})
    assert booked.headers["location"].endswith("?ok=booked")
    order_id = int(booked.headers["location"].split("?")[0].rsplit("/", 1)[1])
    page = await pages.get(f"/listings/{listing.id}")
    assert f'href="/orders/{order_id}"' in page.text  # the booked session links to the order
    assert page.text.count('name="session_id"') == 0  # no order button for either session: both are the member's

    arranged = await client.post(
        f"/api/v1/orders/{order_id}/arrange", json={"place": "南山工人文化宫 302 室"}, headers=factory.headers(provider)
    )
    assert arranged.status_code == 200
    notice = (await client.get("/api/v1/notifications", headers=factory.headers(member))).json()["items"][0]
    assert notice["body"] == "服务者已确认安排。地点：南山工人文化宫 302 室。"

    only_for = await factory.listing(
        provider, await factory.category(), title="骑手专场", target_groups=["new_employment"]
    )
    closed = await pages.get(f"/listings/{only_for.id}")
    assert "本服务仅面向上述人群" in closed.text and 'name="session_id"' not in closed.text


async def test_a_need_shows_the_category_and_the_times_the_member_gave(pages, factory, client):
    health = await factory.category("医疗健康")
    member = await factory.user()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    need = await client.post(
        "/api/v1/orders",
        json={
            "category_id": health.id,
            "title": "想做体检",
            "mode": "offline",
            "preferred_times": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}],
        },
        headers=factory.headers(member),
    )
    pages.login(member)
    page = await pages.get(f"/orders/{need.json()['id']}")
    assert "医疗健康" in page.text and "方便的时间" in page.text and "线下" in page.text


def _form_keys(html: str) -> list[str]:
    return re.findall(r'name="_form_key" value="([^"]+)"', html)


async def test_a_double_tap_a_refresh_or_a_resubmit_acts_once(pages, factory, client):
    """Issue #13 item 2: page forms carry a key of their own; the same form sent again leads where the
    first went, and acts once — even when both taps arrive together."""
    provider, _, listing = await _published(factory, sessions=((2, 5),))
    member = await factory.user()
    pages.login(member)
    page = await pages.get(f"/listings/{listing.id}")
    [key] = _form_keys(page.text)[-1:]
    session_id = (await factory.sessions_of(listing))[0].id
    taps = await asyncio.gather(
        *(pages.post(f"/listings/{listing.id}/order", {"session_id": session_id, "_form_key": key}) for _ in range(2))
    )
    assert [t.status_code for t in taps] == [303, 303]
    assert taps[0].headers["location"] == taps[1].headers["location"]
    again = await pages.post(f"/listings/{listing.id}/order", {"session_id": session_id, "_form_key": key})
    assert again.headers["location"] == taps[0].headers["location"]  # back, and the same form sent again
    mine = (await client.get("/api/v1/orders", headers=factory.headers(member))).json()
    assert mine["total"] == 1
    order_id = mine["items"][0]["id"]

    order_page = await pages.get(f"/orders/{order_id}")
    cancel_key = re.search(
        rf'action="/orders/{order_id}/cancel">\s*<input type="hidden" name="_csrf_token" value="[^"]+">'
        r'<input type="hidden" name="_form_key" value="([^"]+)"',
        order_page.text,
    ).group(1)
    first = await pages.post(f"/orders/{order_id}/cancel", {"_form_key": cancel_key})
    second = await pages.post(f"/orders/{order_id}/cancel", {"_form_key": cancel_key})
    assert first.status_code == second.status_code == 303  # not a 409 page for the second tap
    shown = (await client.get(f"/api/v1/orders/{order_id}", headers=factory.headers(member))).json()
    assert [e["action"] for e in shown["events"]].count("cancel") == 1
    fresh = await pages.post(f"/orders/{order_id}/cancel", {"_form_key": "form:another-tap"})
    assert fresh.status_code == 409  # a new form is a new request: cancelling twice is refused


async def test_opening_a_notice_reads_it_and_leads_to_its_order(pages, factory, client):
    provider, _, listing = await _published(factory, sessions=((2, 5),))
    member = await factory.user()
    order = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    await client.post(f"/api/v1/orders/{order['id']}/accept", headers=factory.headers(provider))
    [notice] = (await client.get("/api/v1/notifications", headers=factory.headers(member))).json()["items"]
    pages.login(member)
    inbox = await pages.get("/notices")
    assert "新" in inbox.text and f'href="/notices/{notice["id"]}"' in inbox.text
    assert 'aria-label="1 条未读">1</span>' in inbox.text  # the header counts unread notices
    opened = await pages.get(f"/notices/{notice['id']}")
    assert opened.status_code == 303 and opened.headers["location"] == f"/orders/{order['id']}"
    again = (await client.get("/api/v1/notifications", headers=factory.headers(member))).json()["items"][0]
    assert again["read"] is True
    assert "条未读" not in (await pages.get("/orders")).text
    pages.login(provider)
    assert (await pages.get(f"/notices/{notice['id']}")).status_code == 404  # not theirs


async def test_my_orders_in_tabs_with_counts_for_members_and_providers(pages, factory, client):
    """Issue #13: 我的订单 with 待接单 / 待服务 / 待签收 / 待评价 / 全部 and counts; a provider's are the
    orders they serve, history included, and one who is both switches."""
    provider, _, listing = await _published(factory, sessions=((2, 5), (4, 5)))
    first, second = await factory.sessions_of(listing)
    member = await factory.user()
    m, p = factory.headers(member), factory.headers(provider)
    waiting = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id, "session_id": first.id}, headers=m)
    ).json()
    upcoming = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id, "session_id": second.id}, headers=m)
    ).json()
    await client.post(f"/api/v1/orders/{upcoming['id']}/accept", headers=p)
    pages.login(member)
    mine = await pages.get("/orders")
    assert re.search(r'aria-current="page">待接单 <span class="count">1</span>', mine.text)
    assert '待服务 <span class="count">1</span>' in mine.text and '全部 <span class="count">2</span>' in mine.text
    assert f'href="/orders/{waiting["id"]}"' in mine.text and f'href="/orders/{upcoming["id"]}"' not in mine.text
    served = await pages.get("/orders", params={"tab": "upcoming"})
    assert f'href="/orders/{upcoming["id"]}"' in served.text and f'href="/orders/{waiting["id"]}"' not in served.text
    assert "我服务的单" not in mine.text  # a member only: no switch

    pages.login(provider)
    theirs = await pages.get("/orders")
    assert "我服务的单" in theirs.text and f'href="/orders/{waiting["id"]}"' in theirs.text  # 待接单 first
    await factory.move_session(second.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{upcoming['id']}/deliver", json={}, headers=p)
    history = await pages.get("/orders", params={"as": "provider", "tab": "done"})
    assert f'href="/orders/{upcoming["id"]}"' in history.text and '已完成 <span class="count">1</span>' in history.text
    as_member = await pages.get("/orders", params={"as": "member"})
    assert "这里还没有订单" in as_member.text


async def test_each_role_lands_where_its_day_starts(pages, factory):
    """Issue #13 item 7: staff land on the desk, providers on the console, members on the home page;
    a page asked for (next) still wins."""
    curator, provider, member = (
        await factory.user(Role.curator),
        await factory.user(Role.provider),
        await factory.user(),
    )
    for who, landing in ((curator, "/desk"), (provider, "/provider"), (member, "/")):
        pages.logout()
        done = await pages.post("/login", {"phone": who.phone, "password": "correct-horse-1"})
        assert done.status_code == 303 and done.headers["location"] == f"{landing}?ok=hello", who.roles
        assert (await pages.get(landing)).status_code == 200
    pages.logout()
    asked = await pages.post("/login", {"phone": provider.phone, "password": "correct-horse-1", "next": "/orders"})
    assert asked.headers["location"] == "/orders?ok=hello"


async def test_error_pages_keep_the_visitors_header_and_name_an_expired_form(pages, factory):
    member = await factory.user(name="钱师傅")
    pages.login(member)
    missing = await pages.get("/orders/999999")
    assert missing.status_code == 404 and 'action="/logout"' in missing.text  # still logged in, as they are
    expired = await pages.post("/notices/read", csrf=False)
    assert expired.status_code == 403 and "<h1>表单已过期</h1>" in expired.text and "无权访问" not in expired.text


async def test_pages_have_an_icon_a_manifest_compressed_html_and_year_long_versioned_static_files(pages):
    """Issue #13 (web basics): no favicon 404, add to home screen, fewer bytes, no refetching assets."""
    home = await pages.client.get("/", headers={"accept-encoding": "gzip"})
    assert home.status_code == 200 and home.headers["content-encoding"] == "gzip"
    links = dict(re.findall(r'<link rel="(icon|manifest|stylesheet)" href="([^"]+)"', home.text))
    assert set(links) == {"icon", "manifest", "stylesheet"}
    for href in links.values():
        assert re.fullmatch(r"/static/[\w/.-]+\?v=[0-9a-f]{12}", href), href
        asset = await pages.client.get(href)
        assert asset.status_code == 200, href
        assert "max-age=31536000" in asset.headers["cache-control"] and "immutable" in asset.headers["cache-control"]
    manifest = (await pages.client.get(links["manifest"])).json()
    assert manifest["name"] == "劳模工匠云集市" and manifest["start_url"] == "/" and manifest["icons"]


async def test_a_booked_session_goes_into_the_members_calendar(pages, factory, client):
    """Issue #13: after booking, the order page has the time, place, the cancellation rule and an .ics."""
    provider, _, listing = await _published(factory, sessions=((3, 5),), auto_accept=True)
    [session] = await factory.sessions_of(listing)
    member, stranger = await factory.members(2)
    pages.login(member)
    booked = await pages.post(f"/listings/{listing.id}/order", {"session_id": session.id})
    order_path = booked.headers["location"].split("?")[0]
    page = await pages.get(order_path)
    assert f'href="{order_path}/calendar.ics"' in page.text and "服务开始前可在此取消" in page.text
    ics = await pages.get(f"{order_path}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    text = ics.text.replace("\r\n ", "")  # unfold long lines (RFC 5545)
    assert "BEGIN:VEVENT" in text and f"SUMMARY:{listing.title}" in text
    assert f"DTSTART:{session.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in text
    assert "LOCATION:南山区工人文化宫" in text and "TRIGGER:-PT1H" in text
    order_id = order_path.rsplit("/", 1)[1]
    assert f"DESCRIPTION:云集市订单 #{order_id}" in text  # the reader's language …
    await pages.get("/lang/en")
    english = (await pages.get(f"{order_path}/calendar.ics")).text.replace("\r\n ", "")
    assert f"DESCRIPTION:Cloud Market order #{order_id}" in english  # … whichever it is
    await pages.get("/lang/zh-CN")
    pages.login(stranger)
    assert (await pages.get(f"{order_path}/calendar.ics")).status_code == 404  # not theirs

    on_request = await factory.listing(provider, await factory.category(), shape="on_request", auto_accept=True)
    pages.login(member)
    asked = await pages.post(f"/listings/{on_request.id}/order", {})
    unagreed = await pages.get(asked.headers["location"].split("?")[0] + "/calendar.ics")
    assert unagreed.status_code == 409 and "还没有约定时间" in unagreed.text
