"""限额 and 抽签 in the pages: the desk sets a quota by its form; a member is told in Chinese when they may
order again; a registration is withdrawn from its order page."""

import re

from marketplace.domain.roles import Role

from ..test_fair_seats import lottery_session


async def test_curator_sets_and_removes_a_quota_and_a_member_is_told_why_not(pages, factory, client):
    curator = await factory.user(Role.curator)
    provider = await factory.user(Role.provider)
    camps = await factory.category("夏令营")
    listing = await factory.listing(provider, camps, sessions=[(3, 5), (4, 5)], auto_accept=True)
    first, second = await factory.sessions_of(listing)
    pages.login(curator)
    shown = await pages.get("/desk/quotas")
    assert shown.status_code == 200 and "暂无限额" in shown.text
    refused = await pages.post("/desk/quotas", {"category_id": str(camps.id), "max_per_period": "1"})
    assert refused.status_code == 400
    done = await pages.post("/desk/quotas", {"category_id": str(camps.id), "max_per_period": "1", "period_days": "365"})
    assert done.status_code == 303 and done.headers["location"] == "/desk/quotas?ok=created"
    listed = await pages.get("/desk/quotas")
    assert "365 天内 1 单" in listed.text

    member = await factory.user()
    pages.login(member)
    assert (await pages.post(f"/listings/{listing.id}/order", {"session_id": str(first.id)})).status_code == 303
    again = await pages.post(f"/listings/{listing.id}/order", {"session_id": str(second.id)})
    assert again.status_code == 409
    assert re.search(r"此类服务 365 天内最多下 1 单；您可在 \d{4}-\d\d-\d\d 起再次下单。", again.text)

    pages.login(curator)
    quota_id = (await client.get("/api/v1/admin/quotas", headers=factory.headers(curator))).json()[0]["id"]
    assert (await pages.post(f"/desk/quotas/{quota_id}/delete")).status_code == 303
    assert "暂无限额" in (await pages.get("/desk/quotas")).text


async def test_a_member_withdraws_a_registration_from_its_page(pages, factory, client):
    listing, session_id, _ = await lottery_session(client, factory, 2)
    member = await factory.user()
    pages.login(member)
    placed = await pages.post(f"/listings/{listing.id}/order", {"session_id": str(session_id)})
    assert placed.status_code == 303 and placed.headers["location"].endswith("?ok=registered")
    order_page = await pages.get(placed.headers["location"])
    assert "已报名抽签" in order_page.text and "退出抽签" in order_page.text
    order_id = int(placed.headers["location"].split("?")[0].rsplit("/", 1)[1])
    gone = await pages.post(f"/orders/{order_id}/withdraw")
    assert gone.status_code == 303
    assert "已取消" in (await pages.get(f"/orders/{order_id}")).text


async def test_staff_see_seats_by_group_and_others_do_not(pages, factory, client, engine, settings):
    from datetime import timedelta

    from marketplace.db import make_sessionmaker
    from marketplace.models.base import utcnow
    from marketplace.services import lottery

    from ..test_fair_seats import bulk_members, register_all

    listing, session_id, _ = await lottery_session(client, factory, 3, percent=34, groups=["hardship"])
    crowd = await bulk_members(factory, 6, lambda i: ["hardship"] if i < 2 else [])
    await register_all(client, factory, listing, session_id, crowd)
    async with make_sessionmaker(engine, settings)() as db, db.begin():
        await lottery.run(db, session_id, now=utcnow() + timedelta(hours=3))
    curator = await factory.user(Role.curator)
    pages.login(curator)
    shown = await pages.get(f"/desk/sessions/{session_id}/seats")
    assert shown.status_code == 200
    # 34 % of 3 seats keeps 1 for the hardship group: at least one of its two members holds a seat
    row = re.search(r"<td>困难职工</td><td>(\d+)</td><td>(\d+)</td>", shown.text)
    assert row and int(row.group(1)) >= 1 and int(row.group(1)) + int(row.group(2)) == 2
    assert "<td>所有人</td><td>3</td><td>3</td>" in shown.text  # 3 seated, 3 waiting
    pages.login(crowd[0])
    assert (await pages.get(f"/desk/sessions/{session_id}/seats")).status_code in (302, 303, 403)


async def test_a_curator_sets_the_priority_groups_and_the_draw_on_the_desk(pages, factory, client):
    import sqlalchemy as sa

    from marketplace.models import ListingSession, LotteryDraw

    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(10, 30)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    curator = await factory.user(Role.curator)
    pages.login(curator)
    await pages.get("/lang/zh-CN")
    shown = await pages.get(f"/listings/{listing.id}")
    assert f'href="/desk/sessions/{session_id}/seats"' in shown.text and "抽签与优先群体设置（管理员）" in shown.text
    desk = await pages.get(f"/desk/sessions/{session_id}/seats")
    assert (
        desk.status_code == 200
        and "优先群体：保留名额与抽签加权" in desk.text
        and "本场以抽签方式分配名额" in desk.text
    )
    url = f"/desk/sessions/{session_id}/reserve"
    # a weight without a group, and a share past 100 %, are refused in Chinese beside the form
    no_group = await pages.post(url, {"percent": "", "weight": "3", "release_at": "", "_form_key": "form:r0"})
    assert no_group.status_code == 400 and "请至少选择一个优先群体" in no_group.text
    too_much = await pages.post(url, {"groups": "hardship", "percent": "120", "weight": "", "_form_key": "form:r1"})
    assert too_much.status_code == 400 and 'id="e-percent"' in too_much.text
    form = {
        "groups": ["hardship", "first_time"],
        "percent": "20",
        "weight": "3",
        "release_at": "",
        "_form_key": "form:r2",
    }
    saved = await pages.post(url, form)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?ok=reserve_set")
    again = await pages.post(url, form)  # a double tap, or a refresh after the POST
    assert again.headers["location"] == saved.headers["location"]
    async with factory.sessionmaker() as db:
        session = await db.get(ListingSession, session_id)
        assert (session.reserve_percent, sorted(session.reserve_groups), session.priority_weight) == (
            20,
            ["first_time", "hardship"],
            3,
        )
    desk = await pages.get(f"/desk/sessions/{session_id}/seats?ok=reserve_set")
    assert "本场优先群体设置已保存。" in desk.text and "每人持有 3 张签" in desk.text

    url = f"/desk/sessions/{session_id}/draw"
    empty = await pages.post(url, {"opens_at": "", "closes_at": "", "draw_at": "", "_form_key": "form:d0"})
    assert empty.status_code == 400 and 'id="e-opens_at"' in empty.text
    backwards = _times_from_now(hours=(5, 2, 8))  # registration would close before it opens
    refused = await pages.post(url, {**backwards, "_form_key": "form:d1"})
    assert refused.status_code == 400 and "须依次先后" in refused.text
    member = await factory.user()
    pages.login(member)
    assert (await pages.post(url, {**backwards, "_form_key": "form:d2"})).status_code == 403
    pages.login(curator)
    ok = await pages.post(
        url,
        {"opens_at": "", "closes_at": "", "draw_at": "", "confirm_hours": "12", "_form_key": "form:d3"}
        | _times_from_now(hours=(-0.1, 1, 2)),
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("?ok=draw_set"), ok.text
    async with factory.sessionmaker() as db:
        draw = (await db.execute(sa.select(LotteryDraw).where(LotteryDraw.session_id == session_id))).scalar_one()
        assert draw.confirm_hours == 12 and draw.closes_at < draw.draw_at
    # open now: its times can no longer change, the page says so; members see the draw and the weight
    desk = await pages.get(f"/desk/sessions/{session_id}/seats")
    assert "本场以抽签方式分配名额" in desk.text and f'action="/desk/sessions/{session_id}/draw"' not in desk.text
    pages.login(member)
    shown = await pages.get(f"/listings/{listing.id}")
    assert "抽签：报名中" in shown.text and "每人持有 3 张签" in shown.text and "报名抽签" in shown.text
    assert "抽签与优先群体设置" not in shown.text


def _times_from_now(hours: tuple[float, float, float]) -> dict:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from marketplace.models.base import utcnow

    zone = ZoneInfo("Asia/Shanghai")
    now = utcnow().astimezone(zone)
    keys = ("opens_at", "closes_at", "draw_at")
    return {k: (now + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M") for k, h in zip(keys, hours, strict=True)}
