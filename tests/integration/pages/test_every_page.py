"""Every page renders for its role (200), with data on it, in both languages."""

from datetime import timedelta

import pytest

from marketplace.domain.roles import Role


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_every_page_renders_for_its_role(pages, factory, client, lang):
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
    await pages.get(f"/lang/{lang}")

    visible = [
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
                f"/orders/{order['id']}",
                "/desk/export/orders.csv",
                "/desk/export/reviews.csv",
            ],
        ),
        (operator, ["/desk", "/desk/orders", "/desk/batches", f"/orders/{order['id']}"]),
    ]
    for user, paths in visible:
        if user is None:
            pages.client.cookies.delete("mkt_session")
        else:
            pages.login(user)
        for path in paths:
            answer = await pages.get(path)
            assert answer.status_code == 200, (lang, path, answer.text[-500:])
            if path.endswith(".csv"):
                continue
            assert f'<html lang="{lang}">' in answer.text, path
