"""Every page of every role, with data on it: the page tests and the browser's CSP check visit the same list."""

from datetime import timedelta

from marketplace.domain.roles import Role
from marketplace.models import User
from marketplace.models.base import utcnow
from marketplace.services import lottery

from .factories import Factory


async def every_page(factory: Factory, client) -> list[tuple[User | None, list[str]]]:
    """(who looks, the paths they see) after making a market with an order through its whole cycle."""
    domain = await factory.category("教育培训", slug="education")
    category = await factory.category("书法培训", parent=domain, slug="calligraphy")
    provider = await factory.provider([category], name="王老师", honours=["南山工匠"], star_level=3)
    listing = await factory.listing(provider, category, auto_accept=True)
    await factory.listing(provider, category, title="待审核", state="submitted")
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
    lottery_pages = await _drawn_lottery(factory, client, curator, member)
    return [
        (None, lottery_pages[:3]),  # the order is the member's own
        (member, lottery_pages[:4]),
        (curator, lottery_pages[4:]),
        (None, ["/", "/menu", "/menu?q=书法&available=1&sort=soon", f"/listings/{listing.id}", "/login", "/register"]),
        (member, ["/", "/orders", f"/orders/{order['id']}", "/notices", "/need", "/me", f"/listings/{listing.id}"]),
        (
            provider,
            [
                "/provider",
                "/provider/listings",
                "/provider/listings/new",
                f"/provider/listings/{listing.id}",
                "/provider/schedule",
                f"/provider/sessions/{session.id}/attendance",
                "/provider/reviews",
                "/provider/profile",
                f"/orders/{order['id']}",
            ],
        ),
        (
            curator,
            [
                "/desk",
                "/desk/categories",
                "/desk/approvals",
                "/desk/batches",
                "/desk/reviews",
                "/desk/reviews?hidden=true",
                "/desk/orders",
                "/desk/accounts",
                "/desk/accounts?q=刘&role=member",
                "/desk/audit",
                "/desk/quotas",
                f"/orders/{order['id']}",
                "/desk/export/orders.csv",
                "/desk/export/reviews.csv",
                "/desk/export/audit.csv",
            ],
        ),
        (
            operator,
            ["/desk", "/desk/orders", "/desk/batches", "/desk/accounts", "/desk/quotas", f"/orders/{order['id']}"],
        ),
    ]


async def _drawn_lottery(factory: Factory, client, curator: User, member: User) -> list[str]:
    """抽签 (issue #15): a drawn session with a priority reserve and a quota; its listing, draw notice and order."""
    provider = await factory.user(Role.provider)
    camps = await factory.category("夏令营", slug="camps")
    listing = await factory.listing(provider, camps, title="暑期夏令营", sessions=[(10, 2), (12, 2)], auto_accept=True)
    drawn, still_open = [s.id for s in await factory.sessions_of(listing)]
    c = factory.headers(curator)
    await client.post(
        "/api/v1/admin/quotas", json={"category_id": camps.id, "max_per_period": 2, "period_days": 365}, headers=c
    )
    now = utcnow()
    for session_id in (drawn, still_open):
        await client.put(
            f"/api/v1/admin/sessions/{session_id}/reserve", json={"percent": 50, "groups": ["hardship"]}, headers=c
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
    public = [f"/listings/{listing.id}", f"/draws/{drawn}", f"/draws/{still_open}"]
    return [*public, f"/orders/{entry.json()['id']}", f"/desk/sessions/{drawn}/seats", f"/draws/{drawn}"]
