"""Every page of every role, with data on it: the page tests and the browser's CSP check visit the same list."""

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from marketplace.domain import checkin as checkin_rules
from marketplace.domain.roles import Role
from marketplace.models import Landmark, User
from marketplace.models.base import utcnow
from marketplace.services import lottery

from .factories import Factory


async def every_page(factory: Factory, client) -> list[tuple[User | None, list[str]]]:
    """(who looks, the paths they see) after making a market with an order through its whole cycle."""
    domain = await factory.category("教育培训", slug="education")
    category = await factory.category("书法培训", parent=domain, slug="calligraphy")
    provider = await factory.provider([category], name="王老师", honours=["南山工匠"], star_level=3)
    listing = await factory.listing(provider, category, auto_accept=True)
    waiting = await factory.listing(provider, category, title="待审核", state="submitted")
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user(name="刘师傅")
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    await client.post(f"/api/v1/orders/{order['id']}/review", json={"stars": 5, "text": "好"}, headers=m)
    await client.post("/api/v1/orders", json={"category_id": category.id, "title": "想学毛笔字"}, headers=m)
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    # 团体预约 and 扫码签到: an organisation books seats of an upcoming session, the member among them
    upcoming = await factory.listing(provider, category, title="急救培训", auto_accept=True)
    door = (await factory.sessions_of(upcoming))[0]
    contact = await factory.user(name="车间工会主席")
    await client.post(
        "/api/v1/admin/organisations",
        json={"name": "第一车间工会", "contact_phone": contact.phone},
        headers=factory.headers(curator),
    )
    people = [{"name": "刘师傅", "phone": member.phone}, {"name": "新工友", "phone": "13900000001"}]
    booked = await client.post(
        "/api/v1/organisation/bookings",
        json={"session_id": door.id, "people": people},
        headers=factory.headers(contact),
    )
    seat_order = next(s["order_id"] for s in booked.json()["seats"] if s["name"] == "刘师傅")
    session_token = checkin_rules.session_token(factory.settings.key("checkin"), door.id)
    station, keeper = await _station(factory, client, curator)
    call = await client.post(
        "/api/v1/admin/hotline/calls",
        json={"phone": member.phone, "reason": "会员来电"},
        headers=factory.headers(operator),
    )
    lottery_pages = await _drawn_lottery(factory, client, curator, member)
    offer_pages = await _proactive_offer(factory, client, curator, member)
    # 实名制: a roster uploaded (not yet imported), a member's request, a service for verified members only
    roster = "姓名,手机号码,工会会员卡号,人员类别\n刘师傅,13900000099,NS-1,农民工\n错号,123,,\n".encode()
    roster_import = await client.post(
        "/api/v1/admin/roster/imports",
        files={"file": ("名册.csv", roster, "text/csv")},
        headers=factory.headers(curator),
    )
    await client.post("/api/v1/me/verification", json={"workplace": "第一车间工会", "groups": ["migrant"]}, headers=m)
    verified_only = await factory.listing(provider, category, title="实名专享", verified_only=True)
    # 满意度测评 and 回访 (issue #14): another member's poor answer opens a follow-up case
    unhappy = await factory.user(name="陈师傅")
    signed = await factory.order_in_state(unhappy, listing, "received")
    poor = {"overall": 2, "as_arranged": False, "recommend": False, "comment": "时间改了没通知"}
    await client.post(f"/api/v1/orders/{signed.id}/survey", json=poor, headers=factory.headers(unhappy))
    # 需求调研: a questionnaire answer the classifier was unsure of waits in the review queue (/desk/needs)
    await factory.survey_answers(curator, ["小区物业乱收停车费"], confidence=0.2)
    year = utcnow().astimezone(ZoneInfo(factory.settings.time_zone)).year
    survey = "姓名,手机号码,需求描述\n刘师傅,13900000098,想学毛笔字\n".encode()
    survey_import = await client.post(
        "/api/v1/admin/surveys", files={"file": ("需求调研.csv", survey, "text/csv")}, headers=factory.headers(curator)
    )
    return [
        (provider, [f"/provider/listings/{listing.id}/edit"]),
        (curator, [f"/desk/surveys/{survey_import.json()['id']}"]),
        (None, lottery_pages[:3]),  # the order is the member's own
        (member, lottery_pages[:4]),
        (curator, lottery_pages[4:]),
        (member, offer_pages[:2]),
        (curator, offer_pages[2:]),
        (contact, ["/org", "/me"]),
        (keeper, ["/keeper", f"/keeper/stations/{station}", f"/stations/{station}", "/me"]),
        (
            None,
            [
                *["/", "/menu", "/menu?q=书法&available=1&sort=soon", f"/listings/{listing.id}", "/login", "/register"],
                *["/stations", "/stations?place=1&facility=hot_water&open_now=1", f"/stations/{station}"],
                *["/login?way=code", "/reset"],
            ],
        ),
        (
            member,
            [
                *["/", "/orders", f"/orders/{order['id']}", f"/orders/{seat_order}", f"/checkin/{session_token}"],
                *["/notices", "/need", "/me", f"/listings/{listing.id}"],
                *["/orders?tab=history", "/me/verification", f"/listings/{verified_only.id}"],
                *[f"/orders/{order['id']}/survey"],
                *[f"/stations/{station}", f"/stations/{station}/visit?code=x", "/stations?lat=22.53&lon=113.93"],
            ],
        ),
        (
            provider,
            [
                "/provider",
                "/provider/listings",
                "/provider/listings/new",
                f"/provider/listings/{listing.id}",
                f"/provider/listings/{waiting.id}/preview",
                "/provider/schedule",
                f"/provider/sessions/{session.id}/attendance",
                f"/provider/sessions/{door.id}/checkin",
                "/provider/reviews",
                "/provider/profile",
                f"/orders/{order['id']}",
                *["/provider/hours", f"/provider/hours/{year}/certificate"],
            ],
        ),
        (
            curator,
            [
                "/desk",
                *["/desk/satisfaction", "/desk/satisfaction?period=30d&by=listing", "/desk/cases"],
                *["/desk/surveys", "/desk/needs-list", "/desk/gaps", "/desk/needs", "/desk/hours"],
                f"/desk/hours/{provider.id}/{year}/certificate",
                "/desk/?period=30d",
                "/desk/categories",
                "/desk/approvals",
                "/desk/batches",
                "/desk/markets",
                "/desk/reviews",
                "/desk/reviews?hidden=true",
                "/desk/orders",
                "/desk/orders?state=reviewed&period=7d&q=书法",
                "/desk/accounts",
                "/desk/accounts?q=刘&role=member",
                "/desk/audit",
                "/desk/organisations",
                "/desk/quotas",
                # the lists filtered as their forms send them, and a filter that finds nothing
                "/desk/approvals?category=&provider=",
                "/desk/reviews?hidden=&stars=2&listing=",
                "/desk/organisations?q=不存在",
                "/desk/quotas?q=驿站",
                f"/orders/{order['id']}",
                "/desk/export/orders.csv",
                "/desk/export/reviews.csv",
                "/desk/export/audit.csv",
                "/desk/export/orders.xlsx",
                "/desk/stations",
                "/desk/stations?day=6&hour=23",
                "/desk/stations/new",
                f"/desk/stations/{station}",
                "/desk/roster",
                "/desk/roster?q=刘",
                f"/desk/roster/imports/{roster_import.json()['id']}",
                "/desk/verifications",
                "/desk/verifications?state=&q=刘",
                "/desk/stations?q=科技&area=1&stars=0&open=1",
                f"/keeper/stations/{station}",
            ],
        ),
        (
            operator,
            [
                *[
                    "/desk",
                    "/desk/orders",
                    "/desk/batches",
                    "/desk/accounts",
                    f"/orders/{order['id']}",
                    "/desk/stations",
                    "/desk/quotas",
                ],
                *["/desk/hotline", f"/desk/hotline/{call.json()['id']}", f"/desk/hotline/{call.json()['id']}?q=书法"],
                "/desk/hotline?outcome=follow_up&topic=&period=7d",
            ],
        ),
    ]


async def _station(factory: Factory, client, curator: User) -> tuple[int, User]:
    """A station with its hours, a star review, a keeper, a photo and a notice, and a place to search from
    (landmark 1)."""
    async with factory.sessionmaker() as db, db.begin():
        db.add(Landmark(market_id=factory.market_id, name="粤海街道", lat=22.533, lon=113.945))
    station = {
        "name": "科技园工会驿站",
        "address": "科苑路15号",
        "lat": 22.5405,
        "lon": 113.953,
        "openings": [{"weekday": d, "opens": 420, "closes": 1320} for d in range(7)],
        "facilities": ["hot_water", "charging", "toilet"],
    }
    headers = factory.headers(curator)
    made = (await client.post("/api/v1/admin/stations", json=station, headers=headers)).json()
    await client.post(f"/api/v1/admin/stations/{made['id']}/inspections", json={"inspection": 16}, headers=headers)
    # its keeper (站长), a photo and a notice
    keeper = await factory.user(name="赵站长")
    await client.post(f"/api/v1/admin/stations/{made['id']}/keepers", json={"user_id": keeper.id}, headers=headers)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 90)).save(photo, "JPEG")
    await client.post(
        f"/api/v1/stations/{made['id']}/photos",
        files={"file": ("door.jpg", photo.getvalue(), "image/jpeg")},
        headers=factory.headers(keeper),
    )
    notice = {"openings": station["openings"], "facilities": station["facilities"], "notice": "热水器维修中"}
    await client.put(f"/api/v1/keeper/stations/{made['id']}", json=notice, headers=factory.headers(keeper))
    return made["id"], keeper


async def _drawn_lottery(factory: Factory, client, curator: User, member: User) -> list[str]:
    """抽签 (issue #15): a drawn session with a priority reserve and a quota; its listing, draw notice and order."""
    provider = await factory.user(Role.provider)
    camps = await factory.category("夏令营", slug="camps")
    listing = await factory.listing(
        provider, camps, title="暑期夏令营", sessions=[(10, 2), (12, 2), (14, 2)], auto_accept=True
    )
    drawn, still_open, fresh = [s.id for s in await factory.sessions_of(listing)]
    c = factory.headers(curator)
    await client.post(
        "/api/v1/admin/quotas", json={"category_id": camps.id, "max_per_period": 2, "period_days": 365}, headers=c
    )
    now = utcnow()
    for session_id in (drawn, still_open):
        await client.put(
            f"/api/v1/admin/sessions/{session_id}/reserve",
            json={"percent": 50, "groups": ["hardship"], "weight": 2},
            headers=c,
        )
        times = {"opens_at": now, "closes_at": now + timedelta(hours=1), "draw_at": now + timedelta(hours=2)}
        await client.put(
            f"/api/v1/admin/sessions/{session_id}/draw", json={k: v.isoformat() for k, v in times.items()}, headers=c
        )
    entry = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": drawn}, headers=factory.headers(member)
    )
    async with factory.sessionmaker() as db:
        db.info["settings"] = factory.settings  # the instance secret the seed was sealed with
        async with db.begin():
            await lottery.run(db, drawn, now=now + timedelta(hours=3))
    # a session with no draw yet: the desk's forms for its priority groups and its draw
    await client.put(
        f"/api/v1/admin/sessions/{fresh}/reserve", json={"percent": 0, "groups": ["hardship"], "weight": 3}, headers=c
    )
    public = [f"/listings/{listing.id}", f"/draws/{drawn}", f"/draws/{still_open}"]
    desk = [f"/desk/sessions/{drawn}/seats", f"/desk/sessions/{fresh}/seats"]
    return [*public, f"/orders/{entry.json()['id']}", *desk, f"/draws/{drawn}"]


async def _proactive_offer(factory: Factory, client, curator: User, member: User) -> list[str]:
    """免申即享 (issue #16): a running campaign of a benefit for members in hardship, the member offered a place."""
    async with factory.sessionmaker() as db, db.begin():
        (await db.get(User, member.id)).groups = ["hardship"]
    c = factory.headers(curator)
    body = {
        "title": "困难职工暖心券",
        "kind": "benefit",
        "benefit_name": "超市购物券",
        "places": 1,
        "groups": ["hardship"],
    }
    made = (await client.post("/api/v1/admin/campaigns", json=body, headers=c)).json()
    await client.post(f"/api/v1/admin/campaigns/{made['id']}/start", headers=c)
    offer = (await client.get("/api/v1/campaign-offers", headers=factory.headers(member))).json()["items"][0]
    desk = ["/desk/campaigns", "/desk/campaigns?state=running", "/desk/campaigns/new", f"/desk/campaigns/{made['id']}"]
    return [f"/offers/{offer['id']}", "/orders", *desk]
