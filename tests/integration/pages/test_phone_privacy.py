"""Phones masked for everyone but the owner (PIPL, issue #12): the whole number of a member appears nowhere
staff or a provider look — API, desk pages, exports — and only in the member's own data download."""

from datetime import timedelta

from marketplace.domain.roles import Role


async def test_a_members_whole_number_reaches_only_the_member(pages, factory, client):
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, title="书法入门", auto_accept=True)
    member = await factory.user(name="褚师傅")
    m = factory.headers(member)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session((await factory.sessions_of(listing))[0].id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=factory.headers(provider))
    whole, masked = member.phone, member.phone[:3] + "****" + member.phone[-4:]

    seen = []
    for viewer, path in [
        (curator, "/api/v1/admin/users?q=褚"),
        (curator, f"/api/v1/admin/users?q={whole}"),
        (operator, f"/api/v1/orders/{order['id']}"),
        (provider, f"/api/v1/orders/{order['id']}"),
        (provider, "/api/v1/orders"),
        (member, "/api/v1/me"),
    ]:
        answer = await client.get(path, headers=factory.headers(viewer))
        assert answer.status_code == 200, (path, answer.text)
        seen.append((path, answer.text))
    for viewer, path in [
        (curator, "/desk/accounts?q=褚"),
        (curator, f"/orders/{order['id']}"),
        (curator, "/desk/orders"),
        (curator, "/desk/export/orders.csv"),
        (provider, f"/orders/{order['id']}"),
        (provider, "/provider"),
        (member, "/me"),
    ]:
        pages.login(viewer)
        answer = await pages.get(path)
        assert answer.status_code == 200, path
        seen.append((path, answer.text))
    for path, text in seen:
        assert whole not in text, path
    assert sum(masked in text for _, text in seen) >= 6  # shown masked where a number is shown at all
    own = await client.get("/api/v1/me/data", headers=m)
    assert own.json()["account"]["phone"] == whole  # the owner's own copy is whole
