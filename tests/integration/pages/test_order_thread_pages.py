"""Issue #13 on the order page: the thread under the timeline, answering an arrangement, the step before
cancelling, stars and quick tags, and 我的 with needs, follows and groups."""

import asyncio
import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import CategoryFollow, OrderMessage

ZONE = ZoneInfo("Asia/Shanghai")


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{re.escape(field)}">([^<]*)</p>', page)
    return found.group(1) if found else ""


def _form_key(page: str, action: str) -> str:
    return re.search(
        rf'action="{re.escape(action)}"[^>]*>\s*<input type="hidden" name="_csrf_token" value="[^"]+">'
        r'<input type="hidden" name="_form_key" value="([^"]+)"',
        page,
    ).group(1)


def _local(days: float) -> str:
    """A datetime-local field's value, in the market's zone."""
    return (datetime.now(ZONE) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _thread(page: str) -> str:
    return page[page.index('id="thread"') :]


async def _on_request(factory):
    provider = await factory.provider(name="王律师")
    category = await factory.category("法律咨询")
    listing = await factory.listing(provider, category, title="劳动合同咨询", shape="on_request")
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "accepted")
    return provider, member, order


async def test_the_thread_is_under_the_timeline_with_a_form_that_sends_once(pages, factory):
    provider, member, order = await _on_request(factory)
    pages.login(member)
    shown = await pages.get(f"/orders/{order.id}")
    assert shown.text.index('id="timeline-h"') < shown.text.index('id="thread"')
    assert "还没有消息" in _thread(shown.text) and "手机号不公开" in _thread(shown.text)
    empty = await pages.post(f"/orders/{order.id}/messages", {"body": "  "})
    assert empty.status_code == 400 and _field_error(empty.text, "message.body")

    key = _form_key(shown.text, f"/orders/{order.id}/messages")
    text = "<script>alert(1)</script>请问带什么材料？"
    taps = await asyncio.gather(
        *(pages.post(f"/orders/{order.id}/messages", {"body": text, "_form_key": key}) for _ in range(2))
    )
    assert [t.status_code for t in taps] == [303, 303]
    assert taps[0].headers["location"] == f"/orders/{order.id}?ok=message#thread"
    async with factory.sessionmaker() as db:
        assert await db.scalar(sa.select(sa.func.count()).select_from(OrderMessage)) == 1  # a double tap sends once
    after = await pages.get(f"/orders/{order.id}?ok=message")
    assert "消息已发送" in after.text
    thread = _thread(after.text)
    assert "<script>alert(1)</script>" not in thread and html.escape(text, quote=False) in thread
    assert 'class="mine"' in thread and "我</strong>" in thread

    pages.login(provider)
    theirs = _thread((await pages.get(f"/orders/{order.id}")).text)
    assert "刘师傅" in theirs and 'class="theirs"' in theirs
    inbox = await pages.get("/notices")
    assert "新消息：劳动合同咨询" in inbox.text
    assert (await pages.post(f"/orders/{order.id}/messages", {"body": "带合同复印件"})).status_code == 303

    stranger = await factory.user()
    pages.login(stranger)
    assert (await pages.post(f"/orders/{order.id}/messages", {"body": "hi"})).status_code == 404


async def test_the_union_reads_the_thread_once_the_order_is_disputed(pages, factory, client):
    provider, member, order = await _on_request(factory)
    await client.post(f"/api/v1/orders/{order.id}/messages", json={"body": "老师好"}, headers=factory.headers(member))
    operator = await factory.user(Role.operator)
    pages.login(operator)
    closed = _thread((await pages.get(f"/orders/{order.id}")).text)
    assert "老师好" not in closed and "有异议或转交工会处理后" in closed and "<form" not in closed
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.text("UPDATE orders SET state = 'disputed' WHERE id = :id"), {"id": order.id})
    opened = _thread((await pages.get(f"/orders/{order.id}")).text)
    assert "老师好" in opened and f'action="/orders/{order.id}/messages"' in opened
    assert (await pages.post(f"/orders/{order.id}/messages", {"body": "工会已介入"})).status_code == 303


async def test_the_member_agrees_or_proposes_another_time_and_the_provider_accepts_on_the_pages(pages, factory):
    provider, member, order = await _on_request(factory)
    pages.login(provider)
    arranged = await pages.post(f"/orders/{order.id}/arrange", {"starts_at": _local(3), "place": "工会201室"})
    assert arranged.status_code == 303

    pages.login(member)
    page = (await pages.get(f"/orders/{order.id}")).text
    assert "服务者提议，待您确认" in page
    next_action = page[page.index('id="next-h"') :]
    # the big button is agreeing; proposing another time is one tap away
    assert next_action.index(f'action="/orders/{order.id}/agree_time"') < next_action.index("<details")
    assert "另约时间" in next_action and 'name="starts_at"' in next_action
    past = await pages.post(f"/orders/{order.id}/propose_time", {"starts_at": _local(-0.2), "note": "晚上"})
    assert past.status_code == 400 and "将来的时间" in _field_error(past.text, "propose_time.starts_at")
    proposed = await pages.post(f"/orders/{order.id}/propose_time", {"starts_at": _local(5), "note": "周末更方便"})
    assert proposed.status_code == 303 and proposed.headers["location"] == f"/orders/{order.id}?ok=propose_time"
    shown = (await pages.get(f"/orders/{order.id}?ok=propose_time")).text
    assert "您的提议已发送" in shown and "等待服务者回复" in shown and "周末更方便" in shown
    assert "会员提议另约时间" in shown  # on the timeline

    pages.login(provider)
    page = (await pages.get(f"/orders/{order.id}")).text
    next_action = page[page.index('id="next-h"') :]
    assert next_action.index(f'action="/orders/{order.id}/accept_time"') < next_action.index("<details")
    assert (await pages.post(f"/orders/{order.id}/accept_time")).status_code == 303
    page = (await pages.get(f"/orders/{order.id}")).text
    assert "双方已确认" in page and "等待服务者回复" not in page
    pages.login(member)
    assert "服务者同意了您提议的时间：劳动合同咨询" in (await pages.get("/notices")).text


async def test_cancelling_takes_a_confirmation_step_that_says_what_follows(pages, factory, client):
    provider = await factory.provider()
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 1)])
    member, waiting = await factory.members(2)
    seat = await factory.order_in_state(member, listing, "accepted")
    in_line = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(waiting))
    assert in_line.json()["state"] == "waitlisted"
    pages.login(member)
    page = (await pages.get(f"/orders/{seat.id}")).text
    step = page[page.index("<summary>取消订单</summary>") :]
    step = step[: step.index("</details>")]
    assert "服务开始前" in step and "名额将被释放" in step and "候补" in step and "无法恢复" in step
    assert 'name="reason"' in step and "确认取消订单" in step
    cancelled = await pages.post(f"/orders/{seat.id}/cancel", {"reason": "临时加班"})
    assert cancelled.status_code == 303
    promoted = (await client.get(f"/api/v1/orders/{in_line.json()['id']}", headers=factory.headers(waiting))).json()
    assert promoted["state"] in ("offered", "accepted")  # the seat went to the first in line, as the step said

    pages.login(waiting)
    page = (await pages.get(f"/orders/{in_line.json()['id']}")).text
    assert "取消订单" in page
    pages.login(provider)
    other = await factory.listing(provider, await factory.category(), sessions=[(2, 5)])
    offered = await factory.order_in_state(await factory.user(), other, "offered")
    page = (await pages.get(f"/orders/{offered.id}")).text
    step = page[page.index("<summary>婉拒</summary>") :]
    assert "婉拒后" in step[: step.index("</details>")] and "确认婉拒" in step


async def test_stars_and_quick_tags_on_the_review_form_shown_on_the_listing_and_counted(pages, factory):
    provider = await factory.provider(name="王老师")
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)])
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "received")
    pages.login(member)
    form = (await pages.get(f"/orders/{order.id}")).text
    for n in range(1, 6):
        assert f'<input type="radio" id="stars-{n}" name="stars" value="{n}">' in form
        assert f'<label for="stars-{n}" class="star">' in form and f"{n} 星" in form
    for word in ("准时", "耐心", "专业", "讲解清楚", "收获很大", "迟到"):
        assert f">{word}</label>" in form
    refused = await pages.post(f"/orders/{order.id}/review", {"tags": ["patient", "on_time"], "text": "好"})
    assert refused.status_code == 400 and _field_error(refused.text, "review.stars")
    assert 'id="tag-patient" name="tags" value="patient" checked' in refused.text  # the taps are kept
    assert 'id="tag-clear" name="tags" value="clear">' in refused.text
    bad_tag = await pages.post(f"/orders/{order.id}/review", {"stars": "5", "tags": ["<b>"]})
    assert bad_tag.status_code == 400
    done = await pages.post(f"/orders/{order.id}/review", {"stars": "5", "tags": ["patient", "on_time"]})
    assert done.status_code == 303
    pages.logout()
    shown = (await pages.get(f"/listings/{listing.id}")).text
    reviews = shown[shown.index('id="reviews-h"') :]
    assert '<li class="tag">准时</li>' in reviews and '<li class="tag">耐心</li>' in reviews
    assert "会员评价标签" in shown and "耐心 × 1" in shown and "准时 × 1" in shown


async def test_me_shows_my_needs_follows_and_groups_and_a_way_back(pages, factory, client):
    category = await factory.category("家政服务")
    member = await factory.user(name="刘师傅", groups=["parent"])
    await client.post(
        "/api/v1/orders", json={"category_id": category.id, "title": "找人修水管"}, headers=factory.headers(member)
    )
    async with factory.sessionmaker() as db, db.begin():
        db.add(CategoryFollow(user_id=member.id, category_id=category.id))
    pages.login(member)
    me = (await pages.get("/me")).text
    assert "我的需求" in me and "找人修水管" in me
    assert "我关注的分类" in me and "家政服务" in me and "不再关注" in me
    groups = me[me.index('id="my-groups-h"') : me.index('id="my-needs-h"')]
    assert '<li class="tag">双职工家庭</li>' in groups
    assert '<p class="back"><a href="/">‹ 首页</a></p>' in me
    stopped = await pages.post(f"/categories/{category.id}/follow", {"follow": "0", "next": "/me"})
    assert stopped.headers["location"] == "/me?ok=unfollowed"
    assert "您还没有关注任何分类" in (await pages.get("/me")).text
    for path in ("/menu", "/orders", "/notices", "/need"):
        assert '<p class="back"><a href="/">' in (await pages.get(path)).text, path


async def test_staff_read_a_settled_dispute_s_thread_on_the_order_page_without_the_form(pages, factory, client):
    provider = await factory.provider(name="王律师")
    listing = await factory.listing(provider, await factory.category("法律咨询"), shape="on_request")
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "delivered")
    m, operator = factory.headers(member), await factory.user(Role.operator)
    await client.post(f"/api/v1/orders/{order.id}/messages", json={"body": "老师没有来"}, headers=m)
    await client.post(f"/api/v1/orders/{order.id}/dispute", json={"reason": "没来"}, headers=m)
    pages.login(operator)
    form = f'action="/orders/{order.id}/messages"'
    assert form in _thread((await pages.get(f"/orders/{order.id}")).text)  # disputed: the union joins
    settled = await client.post(
        f"/api/v1/orders/{order.id}/resolve",
        json={"outcome": "received", "reason": "双方确认已补课"},
        headers=factory.headers(operator),
    )
    assert settled.status_code == 200
    thread = _thread((await pages.get(f"/orders/{order.id}")).text)
    assert "老师没有来" in thread and form not in thread and "工会可查看这段对话，但不再参与" in thread
    refused = await pages.post(f"/orders/{order.id}/messages", {"body": "回访一下"})
    assert refused.status_code == 403
