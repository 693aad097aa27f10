"""The union desk through the test client: figures, approvals into batches, moderation, stuck orders, accounts."""

import re
from datetime import timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Order, OrderEvent, User


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{re.escape(field)}">([^<]*)</p>', html)
    return found.group(1) if found else ""


async def _reviewed_order(factory, client, stars=2):
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    member = await factory.user(name="刘师傅")
    listing = await factory.listing(provider, category, auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    reviewed = await client.post(
        f"/api/v1/orders/{order['id']}/review", json={"stars": stars, "text": "广告内容"}, headers=m
    )
    return listing, reviewed.json()


async def test_dashboard_figures_and_csv_exports(pages, factory, client):
    await _reviewed_order(factory, client, stars=5)
    curator = await factory.user(Role.curator)
    pages.login(curator)
    board = await pages.get("/desk")
    assert board.status_code == 200
    assert "服务职工人次" in board.text and "各环节订单数" in board.text and "100%" in board.text
    orders_csv = await pages.get("/desk/export/orders.csv")
    assert orders_csv.status_code == 200 and orders_csv.headers["content-type"] == "text/csv; charset=utf-8"  # once
    lines = orders_csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("订单号,下单时间,类型,状态") and len(lines) == 2 and ",已评价," in lines[1]
    reviews_csv = await pages.get("/desk/export/reviews.csv")
    assert "广告内容" in reviews_csv.text and reviews_csv.headers["content-type"] == "text/csv; charset=utf-8"
    stats = await client.get("/api/v1/admin/stats", headers=factory.headers(curator))
    assert stats.status_code == 200
    body = stats.json()
    assert body["visits_served"] == 1 and body["reviews"]["satisfied_share"] == 1.0
    assert [s["orders"] for s in body["funnel"]] == [1, 1, 1, 1, 1]
    assert body["to_delivery"]["orders"] == 1
    operator = await factory.user(Role.operator)
    assert (await client.get("/api/v1/admin/stats", headers=factory.headers(operator))).status_code == 200
    member = await factory.user()
    assert (await client.get("/api/v1/admin/stats", headers=factory.headers(member))).status_code == 403
    assert (await client.get("/api/v1/admin/stats")).status_code == 401


async def test_curator_approves_into_a_batch_and_rejects_with_a_reason(pages, factory):
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    first = await factory.listing(provider, category, title="书法培训", state="submitted")
    second = await factory.listing(provider, category, title="硬笔书法", state="submitted")
    curator = await factory.user(Role.curator)
    pages.login(curator)
    assert "请先创建批次" in (await pages.get("/desk/approvals")).text
    assert _field_error((await pages.post("/desk/batches", {"name": ""})).text, "name")
    assert (await pages.post("/desk/batches", {"name": "第一批"})).status_code == 303
    waiting = await pages.get("/desk/approvals")
    assert "书法培训" in waiting.text and "硬笔书法" in waiting.text
    batch_id = re.search(r'<option value="(\d+)">第一批</option>', waiting.text).group(1)
    approved = await pages.post(f"/desk/listings/{first.id}/approve", {"batch_id": batch_id})
    assert approved.status_code == 303 and "ok=approved" in approved.headers["location"]
    no_reason = await pages.post(f"/desk/listings/{second.id}/reject", {"reason": ""})
    assert no_reason.status_code == 400 and _field_error(no_reason.text, f"{second.id}.reason")
    assert (await pages.post(f"/desk/listings/{second.id}/reject", {"reason": "请补充地点"})).status_code == 303
    again = await pages.post(f"/desk/listings/{first.id}/approve", {"batch_id": batch_id})
    assert again.status_code == 409 and "flash bad" in again.text
    assert f"/listings/{first.id}" in (await pages.get("/menu")).text
    batches = await pages.get("/desk/batches")
    assert "第一批" in batches.text
    assert (await pages.post("/desk/batches", {"name": "2026年秋_100%"})).status_code == 303
    found = await pages.get("/desk/batches", params={"q": "_100%"})  # LIKE's own characters taken as typed
    assert "2026年秋_100%" in found.text and "<td>第一批</td>" not in found.text
    everything = await pages.get("/desk/batches", params={"q": ""})  # the form's empty box: every batch
    assert "<td>第一批</td>" in everything.text and "<td>2026年秋_100%</td>" in everything.text
    assert (await pages.get("/desk/batches", params={"q": "\x00"})).status_code == 200


async def test_curator_hides_and_shows_a_review_with_a_reason(pages, factory, client):
    listing, order = await _reviewed_order(factory, client)
    curator = await factory.user(Role.curator)
    pages.login(curator)
    review_id = order["review_id"]
    assert "广告内容" in (await pages.get("/desk/reviews")).text
    refused = await pages.post(f"/desk/reviews/{review_id}/hide", {"reason": ""})
    assert refused.status_code == 400 and _field_error(refused.text, f"{review_id}.reason")
    assert (await pages.post(f"/desk/reviews/{review_id}/hide", {"reason": "广告"})).status_code == 303
    pages.logout()
    assert "广告内容" not in (await pages.get(f"/listings/{listing.id}")).text
    pages.login(curator)
    assert "隐藏原因" in (await pages.get("/desk/reviews?hidden=true")).text
    assert (await pages.post(f"/desk/reviews/{review_id}/show", {"reason": "误判"})).status_code == 303


async def test_category_tree_editing(pages, factory):
    domain = await factory.category("教育培训", slug="education")
    curator = await factory.user(Role.curator)
    pages.login(curator)
    assert "教育培训" in (await pages.get("/desk/categories")).text
    bad = await pages.post("/desk/categories", {"name_zh": "书法", "name_en": "Calligraphy", "slug": "Bad Slug"})
    assert bad.status_code == 400 and _field_error(bad.text, "slug") and "Calligraphy" in bad.text
    taken = await pages.post("/desk/categories", {"name_zh": "书法", "name_en": "Calligraphy", "slug": "education"})
    assert taken.status_code == 409 and _field_error(taken.text, "slug")
    made = await pages.post(
        "/desk/categories",
        {"name_zh": "书法", "name_en": "Calligraphy", "slug": "calligraphy", "parent_id": str(domain.id)},
    )
    assert made.status_code == 303
    renamed = await pages.post(
        f"/desk/categories/{domain.id}", {"name_zh": "教育", "name_en": "Education", "parent_id": "", "position": "0"}
    )
    assert renamed.status_code == 303
    empty = await pages.post(f"/desk/categories/{domain.id}", {"name_zh": "", "name_en": "Education"})
    assert empty.status_code == 400 and _field_error(empty.text, f"{domain.id}.name_zh")
    assert "教育" in (await pages.get("/desk/categories")).text
    summary = '<span lang="zh-CN">教育</span> / <span lang="en">Education</span>'
    assert summary in (await pages.get("/desk/categories")).text  # a Chinese page: the Chinese name first
    await pages.get("/lang/en")
    english = (await pages.get("/desk/categories")).text  # an English page: the English name first
    assert '<span lang="en">Education</span> / <span lang="zh-CN">教育</span>' in english


async def test_stuck_orders_are_resolved_and_reassigned_from_the_order_page(pages, factory, client):
    health = await factory.category("医疗健康")
    provider = await factory.provider([health], name="李医生")
    member = await factory.user()
    need = await client.post(
        "/api/v1/orders", json={"category_id": health.id, "title": "想做体检"}, headers=factory.headers(member)
    )
    operator = await factory.user(Role.operator)
    pages.login(operator)
    order_id = need.json()["id"]
    stuck_part = (await pages.get("/desk/orders")).text.split('id="t-all"')[0]  # the stuck lists, not all orders
    assert "想做体检" not in stuck_part  # just placed: the matcher has it
    async with factory.sessionmaker() as db, db.begin():  # three hours later, still nobody
        await db.execute(
            sa.update(Order).where(Order.id == order_id).values(created_at=Order.created_at - timedelta(hours=3))
        )
    stuck = await pages.get("/desk/orders")
    assert stuck.status_code == 200 and "想做体检" in stuck.text and "3小时前" in stuck.text
    page = await pages.get(f"/orders/{order_id}")
    assert "李医生" in page.text and f'action="/orders/{order_id}/offer"' in page.text
    offered = await pages.post(f"/orders/{order_id}/offer", {"provider_id": str(provider.id), "reason": "就近"})
    assert offered.status_code == 303
    view = await client.get(f"/api/v1/orders/{order_id}", headers=factory.headers(operator))
    assert view.json()["state"] == "offered" and view.json()["provider"]["id"] == provider.id
    pages.login(member)
    assert (await pages.post(f"/orders/{order_id}/reassign", {"provider_id": str(provider.id)})).status_code == 403


async def test_accounts_and_roles(pages, factory):
    curator = await factory.user(Role.curator, name="李主任")
    someone = await factory.user(name="张三")
    pages.login(curator)
    found = await pages.get("/desk/accounts", params={"q": "张三"})
    assert "张三" in found.text and "李主任" not in found.text
    assert (await pages.post(f"/desk/accounts/{someone.id}/roles", {"roles": ["provider"]})).status_code == 303
    async with factory.sessionmaker() as db:
        assert "provider" in (await db.get(User, someone.id)).roles
    own = await pages.post(f"/desk/accounts/{curator.id}/roles", {"roles": ["member"]})
    assert own.status_code == 409 and _field_error(own.text, f"{curator.id}.roles")


async def test_a_curator_confirms_a_members_claimed_group_on_the_accounts_page(pages, factory, client):
    curator = await factory.user(Role.curator)
    member = await factory.user(name="骑手小周")
    await client.put("/api/v1/me", json={"groups": ["new_employment"]}, headers=factory.headers(member))
    pages.login(curator)
    listed = await pages.get("/desk/accounts", params={"q": member.phone})
    assert "申报" in listed.text and f'action="/desk/accounts/{member.id}/groups"' in listed.text
    done = await pages.post(f"/desk/accounts/{member.id}/groups", {"groups": ["new_employment"], "q": member.phone})
    assert done.status_code == 303 and "ok=groups" in done.headers["location"]
    async with factory.sessionmaker() as db:
        stored = await db.get(User, member.id)
    assert (stored.groups, stored.claimed_groups) == (["new_employment"], [])


async def test_the_audit_trail_shows_who_did_what_when_and_why_and_exports_it(pages, factory, client):
    """Issue #12: role changes, reassignments, dispute resolutions, deactivations — who, when, why."""
    curator = await factory.user(Role.curator, name="周主任")
    operator = await factory.user(Role.operator, name="吴志愿者")
    member = await factory.user(name="郑师傅")
    c = factory.headers(curator)
    await client.put(f"/api/v1/admin/users/{member.id}/roles", json={"roles": ["member", "provider"]}, headers=c)
    await client.post(f"/api/v1/admin/users/{member.id}/deactivate", headers=factory.headers(operator))
    health = await factory.category("医疗健康")
    provider = await factory.provider([health])
    need = await client.post(
        "/api/v1/orders",
        json={"category_id": health.id, "title": "想做体检"},
        headers=factory.headers(await factory.user()),
    )
    await client.post(
        f"/api/v1/orders/{need.json()['id']}/reassign", json={"provider_id": provider.id, "reason": "离得近"}, headers=c
    )
    pages.login(curator)
    trail = await pages.get("/desk/audit")
    assert trail.status_code == 200
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", trail.text)
    assert rows[:3] == [("周主任", "已派给服务者"), ("吴志愿者", "停用账号"), ("周主任", "修改角色")]  # newest first
    assert "离得近" in trail.text and f'href="/orders/{need.json()["id"]}"' in trail.text
    exported = await pages.get("/desk/export/audit.csv")
    assert exported.status_code == 200 and "离得近" in exported.text and "停用账号" in exported.text
    # filtered as the form sends it (empty choices mean all; an unknown value is left out, not refused)
    only_roles = await pages.get("/desk/audit", params={"action": "set_roles", "target": "", "days": "7"})
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", only_roles.text)
    assert rows == [("周主任", "修改角色")]
    orders_only = await pages.get("/desk/audit", params={"action": "", "target": "order", "days": ""})
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", orders_only.text)
    assert rows == [("周主任", "已派给服务者")] and "离得近" in orders_only.text
    odd = await pages.get("/desk/audit", params={"action": "<script>", "days": "10000"})
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", odd.text)
    assert odd.status_code == 200 and len(rows) == 3
    pages.login(operator)
    assert (await pages.get("/desk/audit")).status_code == 403  # the curators' to read


async def test_desk_lists_have_pages_and_reviews_are_named_by_what_was_reviewed(pages, factory, client):
    """Issue #13 item 8: the newest 50 of hundreds with no next page; reviews labelled "服务 61"."""
    curator = await factory.user(Role.curator)
    for _ in range(51):
        await factory.user()
    pages.login(curator)
    first = await pages.get("/desk/accounts")
    assert first.text.count('action="/desk/accounts/') >= 50 and "page=2" in first.text and "第 1 / 2 页" in first.text
    second = await pages.get("/desk/accounts", params={"page": 2})
    assert second.status_code == 200 and "第 2 / 2 页" in second.text and "page=1" in second.text

    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), title="急救知识科普", auto_accept=True)
    member = await factory.user()
    order = await factory.order_in_state(member, listing, "received")
    await client.post(f"/api/v1/orders/{order.id}/review", json={"stars": 5}, headers=factory.headers(member))
    moderation = await pages.get("/desk/reviews")
    assert f'<a href="/listings/{listing.id}">急救知识科普</a>' in moderation.text


async def test_a_curator_lets_a_member_order_in_another_market_on_the_accounts_page(pages, factory):
    from marketplace.models import AuditEvent

    other_market_id = (await factory.other_market()).market_id
    curator = await factory.user(Role.curator)
    member = await factory.user(name="跨区的师傅")
    pages.login(curator)
    listed = await pages.get("/desk/accounts", params={"q": member.phone})
    assert "也可在以下市场下单" in listed.text and "罗湖区总工会" in listed.text
    done = await pages.post(
        f"/desk/accounts/{member.id}/markets", {"market_ids": [str(other_market_id)], "q": member.phone}
    )
    assert done.status_code == 303 and "ok=markets" in done.headers["location"]
    async with factory.sessionmaker() as db:
        assert (await db.get(User, member.id)).order_markets == [other_market_id]
        actions = (await db.execute(sa.select(AuditEvent.action, AuditEvent.actor_id))).all()
    assert actions == [("order_markets", curator.id)]
    shown = await pages.get("/desk/accounts", params={"q": member.phone})
    assert re.search(rf'name="market_ids" value="{other_market_id}" checked', shown.text)
    audit = await pages.get("/desk/audit")
    assert "可跨市场下单的范围已更改" in audit.text
    cleared = await pages.post(f"/desk/accounts/{member.id}/markets", {"q": member.phone})
    assert cleared.status_code == 303
    async with factory.sessionmaker() as db:
        assert (await db.get(User, member.id)).order_markets == []
    operator = await factory.user(Role.operator)
    pages.login(operator)
    assert (
        await pages.post(f"/desk/accounts/{member.id}/markets", {"market_ids": [str(other_market_id)]})
    ).status_code == 403


async def test_dashboard_period_trends_and_conversion(pages, factory, client, engine):
    listing, _ = await _reviewed_order(factory, client, stars=4)  # auto-accepted: no wait for a provider
    category = await factory.category("法律咨询")
    provider = await factory.provider([category])
    offered = await factory.listing(provider, category, title="劳动合同咨询")
    member = await factory.user()
    placed = await client.post("/api/v1/orders", json={"listing_id": offered.id}, headers=factory.headers(member))
    assert placed.json()["state"] == "offered"
    async with engine.begin() as conn:  # the provider answered 3 hours after the order
        await conn.execute(
            sa.update(Order)
            .where(Order.id == placed.json()["id"])
            .values(created_at=sa.func.now() - timedelta(hours=3))
        )
    accept = await client.post(f"/api/v1/orders/{placed.json()['id']}/accept", headers=factory.headers(provider))
    assert accept.status_code == 200
    old = await factory.order_in_state(await factory.user(), offered, "placed")
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(Order).where(Order.id == old.id).values(created_at=sa.func.now() - timedelta(days=60))
        )
        # placed as the app places one: with its event (the figures follow orders by their events)
        values = {"order_id": old.id, "market_id": old.market_id, "actor_role": "member", "action": "place"}
        await conn.execute(sa.insert(OrderEvent).values(**values, to_state="placed"))
    curator = await factory.user(Role.curator)
    h = factory.headers(curator)
    everything = (await client.get("/api/v1/admin/stats", headers=h)).json()
    assert everything["period"] == "all" and everything["funnel"][0]["orders"] == 3
    assert [s["share_of_previous"] for s in everything["funnel"]] == [None, 0.667, 0.5, 1.0, 1.0]
    assert everything["to_acceptance"]["orders"] == 1 and everything["to_acceptance"]["median_hours"] == 3.0
    month = (await client.get("/api/v1/admin/stats?period=30d", headers=h)).json()
    assert month["funnel"][0]["orders"] == 2 and month["funnel"][1]["share_of_previous"] == 1.0
    assert month["trend"]["unit"] == "day" and len(month["trend"]["points"]) == 30
    assert sum(p["ordered"] for p in month["trend"]["points"]) == 2
    assert month["trend"]["points"][-1]["reviewed"] == 1 and month["trend"]["points"][-1]["average_stars"] == 4.0
    assert (await client.get("/api/v1/admin/stats?period=week", headers=h)).status_code == 400
    pages.login(curator)
    board = await pages.get("/desk/?period=7d")
    assert board.status_code == 200
    assert 'aria-current="page" class="btn">近 7 天</a>' in board.text
    assert "各环节转化率" in board.text and "占上一环节 100%" in board.text
    svg = re.search(r'<svg class="chart"[^>]*aria-label="订单趋势".*?</svg>', board.text, re.S).group(0)
    assert "<title>订单趋势</title>" in svg and "下单" in svg and svg.count("<circle") == 3 * 7
    assert "平均星级趋势" in board.text
    assert (await pages.get("/desk/?period=nonsense")).status_code == 200


async def test_bulk_approval_approves_the_ticked_and_names_those_it_could_not(pages, factory, client, engine):
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    waiting = [await factory.listing(provider, category, title=f"书法班{i}", state="submitted") for i in range(3)]
    far = await factory.listing(provider, category, title="远期讲座", state="submitted", sessions=[(800, 10)])
    curator = await factory.user(Role.curator)
    pages.login(curator)
    assert (await pages.post("/desk/batches", {"name": "第二批"})).status_code == 303
    page = await pages.get("/desk/approvals")
    assert page.text.count('name="listing_ids"') == 4 and 'form="bulk"' in page.text and "待审核：4 个" in page.text
    batch_id = re.search(r'<option value="(\d+)">第二批</option>', page.text).group(1)
    key = re.search(r'<form id="bulk".*?name="_form_key" value="([^"]+)"', page.text, re.S).group(1)
    none = await pages.post("/desk/listings/approve", {"batch_id": batch_id, "_form_key": key})
    assert none.status_code == 400 and "请至少勾选一个要审核通过的服务项目。" in none.text
    # One of the ticked is approved by someone else meanwhile; another has a session too far ahead.
    await client.post(
        f"/api/v1/admin/listings/{waiting[2].id}/approve",
        json={"batch_id": int(batch_id)},
        headers=factory.headers(curator),
    )
    ticked = [str(waiting[0].id), str(waiting[1].id), str(waiting[2].id), str(far.id)]
    form = {"batch_id": batch_id, "listing_ids": ticked, "_form_key": key}
    done = await pages.post("/desk/listings/approve", form)
    assert done.status_code == 303, done.text
    again = await pages.post("/desk/listings/approve", form)  # a double tap: the same answer, nothing twice
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    shown = await pages.get(done.headers["location"])
    assert "所选服务项目已审核通过并发布。" in shown.text
    assert "「书法班2」：它已不在待审核状态" in shown.text and "「远期讲座」：有场次在两年以后" in shown.text
    assert "「书法班0」" not in shown.text and "待审核：1 个" in shown.text
    menu = (await client.get("/api/v1/listings")).json()
    assert {item["title"] for item in menu["items"]} == {"书法班0", "书法班1", "书法班2"}
    async with engine.connect() as conn:
        audited = (
            await conn.execute(sa.text("SELECT count(*) FROM audit_events WHERE action = 'approve_listing'"))
        ).scalar()
    assert audited == 3  # each approval audited (two in bulk, one alone)
    api = await client.post(
        "/api/v1/admin/listings/approve",
        json={"listing_ids": [far.id, waiting[0].id], "batch_id": int(batch_id)},
        headers=factory.headers(curator),
    )
    assert api.status_code == 200
    assert api.json()["approved"] == [] and [r["id"] for r in api.json()["refused"]] == [far.id, waiting[0].id]
    provider_try = await client.post(
        "/api/v1/admin/listings/approve",
        json={"listing_ids": [far.id], "batch_id": int(batch_id)},
        headers=factory.headers(provider),
    )
    assert provider_try.status_code == 403


async def test_disputes_show_reason_and_age_and_every_order_is_filtered_and_paged(pages, factory, client, engine):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="硬笔书法", auto_accept=True, sessions=[(3, 60)])
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user(name="刘师傅")
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    disputed = await client.post(f"/api/v1/orders/{order['id']}/dispute", json={"reason": "老师没有来"}, headers=m)
    assert disputed.status_code == 200, disputed.text
    async with engine.begin() as conn:  # disputed two days ago
        await conn.execute(
            sa.text(
                "UPDATE order_events SET at = now() - interval '2 days' WHERE order_id = :id AND to_state = 'disputed'"
            ),
            {"id": order["id"]},
        )
    other = await factory.listing(provider, category, title="篆刻入门", sessions=[(5, 100)])
    for _ in range(55):
        await factory.order_in_state(await factory.user(), other, "placed")
    curator = await factory.user(Role.curator)
    pages.login(curator)
    desk = await pages.get("/desk/orders")
    assert desk.status_code == 200
    dispute = re.search(r'<li class="card dispute">(.*?)</li>', desk.text, re.S).group(1)
    assert "硬笔书法" in dispute and "老师没有来" in dispute and "2天前提出争议" in dispute
    assert f'href="/orders/{order["id"]}"' in dispute and "刘师傅" in dispute
    assert "全部订单 (56)" in desk.text and "第 1 / 2 页" in desk.text
    second = await pages.get("/desk/orders?page=2")
    assert second.text.count("篆刻入门</a></td>") == 5 and "硬笔书法</a></td>" in second.text  # the oldest last
    only = await pages.get("/desk/orders?state=disputed&period=7d")
    assert "全部订单 (1)" in only.text and '<option value="disputed" selected>' in only.text
    named = await pages.get("/desk/orders?q=刘师傅")
    assert "全部订单 (1)" in named.text
    old = await pages.get("/desk/orders?period=7d&q=篆刻")
    assert "全部订单 (55)" in old.text and "page=2" in old.text and "q=%E7%AF%86%E5%88%BB" in old.text
    assert (await pages.get("/desk/orders?state=nonsense&period=x")).status_code == 200


async def test_batches_are_paged(pages, factory, client):
    curator = await factory.user(Role.curator)
    for n in range(51):
        await client.post("/api/v1/admin/batches", json={"name": f"批次{n}"}, headers=factory.headers(curator))
    pages.login(curator)
    first = await pages.get("/desk/batches")
    assert first.text.count("<td>批次") == 50 and "第 1 / 2 页" in first.text
    second = await pages.get("/desk/batches?page=2")
    assert second.text.count("<td>批次") == 1 and "<td>批次50</td>" in second.text
    assert (await pages.get("/desk/cases?page=2")).status_code == 200


async def test_the_audit_trail_shows_reveals_hides_and_resolutions_with_who_and_why(pages, factory, client):
    """Issue #12's audit page, the rest of its list: a phone shown, a review hidden, a dispute resolved —
    each with the curator's name, the time and the reason given, on the page and in its export."""
    curator = await factory.user(Role.curator, name="冯主任")
    c = factory.headers(curator)
    category = await factory.category("法律咨询")
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, auto_accept=True)
    member = await factory.user(name="韩师傅")
    revealed = await client.post(f"/api/v1/admin/users/{member.id}/phone", json={"reason": "回访满意度"}, headers=c)
    assert revealed.status_code == 200, revealed.text
    reviewed = await factory.order_in_state(member, listing, "received")
    review = await client.post(
        f"/api/v1/orders/{reviewed.id}/review", json={"stars": 1, "text": "骂人的话"}, headers=factory.headers(member)
    )
    hidden = await client.post(
        f"/api/v1/admin/reviews/{review.json()['id']}/hide", json={"reason": "含侮辱性语言"}, headers=c
    )
    assert hidden.status_code == 200, hidden.text
    disputed = await factory.order_in_state(member, listing, "disputed")
    resolved = await client.post(
        f"/api/v1/orders/{disputed.id}/resolve", json={"outcome": "received", "reason": "双方确认已服务"}, headers=c
    )
    assert resolved.status_code == 200, resolved.text

    pages.login(curator)
    trail = (await pages.get("/desk/audit")).text
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", trail)
    assert rows[:3] == [("冯主任", "争议处理：已签收"), ("冯主任", "隐藏评价"), ("冯主任", "查看完整手机号")], rows
    for reason in ("回访满意度", "含侮辱性语言", "双方确认已服务"):
        assert reason in trail
    exported = (await pages.get("/desk/export/audit.csv")).text
    for reason in ("回访满意度", "含侮辱性语言", "双方确认已服务"):
        assert reason in exported
    assert member.phone not in trail and member.phone not in exported  # the trail keeps the reason, not the number
