"""Every page of every role, with data on it: the page tests and the browser's CSP check visit the same list."""

from datetime import timedelta

from marketplace.domain.roles import Role
from marketplace.models import User

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
    return [
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
                f"/orders/{order['id']}",
                "/desk/export/orders.csv",
                "/desk/export/reviews.csv",
                "/desk/export/audit.csv",
                "/desk/export/orders.xlsx",
            ],
        ),
        (operator, ["/desk", "/desk/orders", "/desk/batches", "/desk/accounts", f"/orders/{order['id']}"]),
    ]
