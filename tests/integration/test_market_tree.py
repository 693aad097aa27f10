"""The market tree (issue #17, item 1): a parent P with two sibling districts A and B, people of every role in
each; who may see and do what across them (the access matrix), and P's figures as the sum of its subtree's."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from marketplace.domain.periods import PERIODS
from marketplace.domain.roles import Role
from marketplace.models import Batch, Category, Listing, User
from marketplace.services import insights, market_tree
from tests.factories import Factory


@dataclass
class Market:
    f: Factory
    member: User = None
    provider: User = None
    curator: User = None
    operator: User = None
    category: Category = None
    listing: Listing = None  # published, this market's own
    waiting: Listing = None  # submitted for approval
    batch_id: int = 0
    order_id: int = 0  # a received and reviewed order of this market
    disputed_id: int = 0
    review_id: int = 0
    need_ids: list[int] = field(default_factory=list)

    def h(self, role: str) -> dict[str, str]:
        return self.f.headers(getattr(self, role))


async def _market(f: Factory, client, slug: str) -> Market:
    m = Market(f)
    m.member, m.curator, m.operator = await f.user(), await f.user(Role.curator), await f.user(Role.operator)
    m.category = await f.category("书法培训", slug=slug)  # one vocabulary: the same slug in every market
    m.provider = await f.provider([m.category])
    m.listing = await f.listing(m.provider, m.category, title=f"书法 {f.market_id}", sessions=[(3, 10), (4, 10)])
    m.waiting = await f.listing(m.provider, m.category, title=f"待审 {f.market_id}", state="submitted")
    async with f.sessionmaker() as db, db.begin():
        batch = Batch(market_id=f.market_id, name=f"第一批 {f.market_id}")
        db.add(batch)
        await db.flush()
        m.batch_id = batch.id
    received = await f.order_in_state(m.member, m.listing, "received")
    m.order_id = received.id
    reviewed = await client.post(f"/api/v1/orders/{received.id}/review", json={"stars": 4}, headers=m.h("member"))
    assert reviewed.status_code == 200, reviewed.text
    m.review_id = (await client.get("/api/v1/admin/reviews", headers=m.h("curator"))).json()["items"][0]["id"]
    m.disputed_id = (await f.order_in_state(m.member, m.listing, "disputed", session_index=1)).id
    m.need_ids = await f.needs([m.member], m.category, 2)
    return m


@pytest.fixture
async def tree(client, factory):
    """P (a city) above two sibling districts A and B; P shares one listing below and keeps another."""
    p_f = await factory.market_below(name_zh="市总工会")
    a_f, b_f = await factory.market_below(p_f), await factory.market_below(p_f)
    slug = f"shufa-{p_f.market_id}"
    p, a, b = [await _market(f, client, slug) for f in (p_f, a_f, b_f)]
    p.shared = await p_f.listing(p.provider, p.category, title="市级共享课", shared_below=True)
    return p, a, b


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_the_subtree_and_the_ancestors_come_from_the_tree(tree, factory):
    p, a, b = tree
    async with factory.sessionmaker() as db:
        assert set(await market_tree.subtree_ids(db, p.f.market_id)) == {p.f.market_id, a.f.market_id, b.f.market_id}
        assert await market_tree.subtree_ids(db, a.f.market_id) == [a.f.market_id]
        assert await market_tree.ancestor_ids(db, a.f.market_id) == [p.f.market_id]
        assert await market_tree.ancestor_ids(db, p.f.market_id) == []


async def test_members_see_their_market_and_what_the_markets_above_share(client, tree):
    p, a, b = tree
    assert _ids(await client.get("/api/v1/listings", headers=a.h("member"))) == {a.listing.id, p.shared.id}
    assert _ids(await client.get("/api/v1/listings", headers=b.h("member"))) == {b.listing.id, p.shared.id}
    assert _ids(await client.get("/api/v1/listings", headers=p.h("member"))) == {p.listing.id, p.shared.id}
    searched = await client.get("/api/v1/listings", params={"q": "共享"}, headers=a.h("member"))
    assert _ids(searched) == {p.shared.id}
    # A district's category filter finds the city's shared listing filed under the same category slug.
    filtered = await client.get("/api/v1/listings", params={"category": a.category.id}, headers=a.h("member"))
    assert _ids(filtered) == {a.listing.id, p.shared.id}


# (actor market, role) × (resource, whose: a's, b's, p's — for listings, p's shared below or kept) → the status of
# GET /api/v1/listings/{id} or /api/v1/orders/{id}: 404 for what one may not know exists.
MATRIX = [
    ("a", "member", "listing", "a", 200),
    ("a", "member", "listing", "b", 404),
    ("a", "member", "listing", "p_shared", 200),
    ("a", "member", "listing", "p_kept", 404),
    ("a", "provider", "listing", "b", 404),
    ("a", "provider", "listing", "p_shared", 200),
    ("a", "curator", "listing", "b", 404),
    ("a", "curator", "listing", "p_kept", 404),
    ("a", "operator", "listing", "b", 404),
    ("a", "operator", "listing", "p_shared", 200),
    ("b", "member", "listing", "a", 404),
    ("b", "member", "listing", "p_shared", 200),
    ("b", "curator", "listing", "a", 404),
    ("p", "member", "listing", "a", 404),  # a parent's member does not see a district's menu
    ("p", "member", "listing", "p_kept", 200),
    ("p", "provider", "listing", "b", 404),
    ("p", "curator", "listing", "a", 200),
    ("p", "curator", "listing", "b", 200),
    ("p", "operator", "listing", "b", 200),
    ("a", "curator", "order", "a", 200),
    ("a", "operator", "order", "a", 200),
    ("a", "curator", "order", "b", 404),
    ("a", "operator", "order", "p", 404),
    ("a", "provider", "order", "b", 404),
    ("a", "member", "order", "b", 404),
    ("p", "curator", "order", "a", 200),
    ("p", "operator", "order", "b", 200),
    ("p", "member", "order", "a", 404),
    ("p", "provider", "order", "a", 404),
    ("b", "curator", "order", "a", 404),
]


@pytest.mark.parametrize(("who", "role", "resource", "whose", "status"), MATRIX)
async def test_who_sees_which_listing_and_order(client, tree, who, role, resource, whose, status):
    p, a, b = tree
    markets = {"p": p, "a": a, "b": b}
    if resource == "listing":
        listing = {"a": a.listing, "b": b.listing, "p_shared": p.shared, "p_kept": p.listing}[whose]
        path = f"/api/v1/listings/{listing.id}"
    else:
        path = f"/api/v1/orders/{markets[whose].order_id}"
    seen = await client.get(path, headers=markets[who].h(role))
    assert seen.status_code == status, (who, role, resource, whose, seen.text)


async def test_members_order_what_the_parent_shares_and_nothing_of_a_sibling_or_the_parent_keeps(client, tree):
    p, a, b = tree
    ordered = await client.post("/api/v1/orders", json={"listing_id": p.shared.id}, headers=a.h("member"))
    assert ordered.status_code == 201, ordered.text
    # The order is the listing's market's: P's provider serves it, P's staff see it, A's staff do not.
    order = ordered.json()
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=p.h("provider"))).status_code == 200
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=p.h("curator"))).status_code == 200
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=a.h("curator"))).status_code == 404
    accepted = await client.post(f"/api/v1/orders/{order['id']}/accept", headers=p.h("provider"))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted", accepted.text
    for listing in (p.listing, b.listing):
        refused = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=a.h("member"))
        assert refused.status_code == 403 and "another union" in refused.json()["detail"], refused.text


async def test_a_curator_lets_a_member_order_in_a_sibling_market(client, tree):
    p, a, b = tree
    allowed = await client.put(
        f"/api/v1/admin/users/{a.member.id}/order-markets",
        json={"market_ids": [b.f.market_id]},
        headers=a.h("curator"),
    )
    assert allowed.status_code == 200, allowed.text
    assert (await client.get(f"/api/v1/listings/{b.listing.id}", headers=a.h("member"))).status_code == 200
    ordered = await client.post("/api/v1/orders", json={"listing_id": b.listing.id}, headers=a.h("member"))
    assert ordered.status_code == 201, ordered.text


async def test_approvals_and_batches_reach_down_the_tree_only(client, tree):
    p, a, b = tree
    waiting = "/api/v1/admin/listings/submitted"
    assert _ids(await client.get(waiting, headers=a.h("curator"))) == {a.waiting.id}
    assert _ids(await client.get(waiting, headers=p.h("curator"))) == {p.waiting.id, a.waiting.id, b.waiting.id}
    batches = "/api/v1/admin/batches"
    assert _ids(await client.get(batches, headers=a.h("curator"))) == {a.batch_id}
    assert _ids(await client.get(batches, headers=p.h("curator"))) == {p.batch_id, a.batch_id, b.batch_id}
    approve = "/api/v1/admin/listings/{}/approve"
    sibling = await client.post(approve.format(b.waiting.id), json={"batch_id": a.batch_id}, headers=a.h("curator"))
    assert sibling.status_code == 404
    upward = await client.post(approve.format(p.waiting.id), json={"batch_id": a.batch_id}, headers=a.h("curator"))
    assert upward.status_code == 404
    wrong_batch = await client.post(approve.format(a.waiting.id), json={"batch_id": b.batch_id}, headers=p.h("curator"))
    assert wrong_batch.status_code == 400 and "batch" in wrong_batch.text  # B's batch cannot hold A's listing
    done = await client.post(approve.format(a.waiting.id), json={"batch_id": a.batch_id}, headers=p.h("curator"))
    assert done.status_code == 200 and done.json()["state"] == "published", done.text
    shared = await client.post(
        approve.format(p.waiting.id), json={"batch_id": p.batch_id, "shared_below": True}, headers=p.h("curator")
    )
    assert shared.status_code == 200 and shared.json()["shared_below"] is True
    assert p.waiting.id in _ids(await client.get("/api/v1/listings", headers=b.h("member")))  # the menu follows
    assert p.shared.id in _ids(await client.get("/api/v1/listings", headers=a.h("member")))  # cached now
    unshare = await client.post(
        f"/api/v1/admin/listings/{p.shared.id}/share", json={"shared_below": False}, headers=a.h("curator")
    )
    assert unshare.status_code == 404  # a district's curator does not decide for its parent
    unshare = await client.post(
        f"/api/v1/admin/listings/{p.shared.id}/share", json={"shared_below": False}, headers=p.h("curator")
    )
    assert unshare.status_code == 200 and unshare.json()["shared_below"] is False
    # the parent's change bumped the cached menus of the markets below it (cache.py)
    assert p.shared.id not in _ids(await client.get("/api/v1/listings", headers=a.h("member")))


async def test_staff_lists_and_moves_reach_the_markets_below(client, tree):
    p, a, b = tree
    staff = {"as": "staff", "limit": 100}
    of_a = _ids(await client.get("/api/v1/orders", params=staff, headers=a.h("curator")))
    of_p = _ids(await client.get("/api/v1/orders", params=staff, headers=p.h("operator")))
    assert of_a == {a.order_id, a.disputed_id, *a.need_ids}
    assert of_p == {m.order_id for m in tree} | {m.disputed_id for m in tree} | {n for m in tree for n in m.need_ids}
    resolve = {"outcome": "received", "reason": "双方确认已服务"}
    sibling = await client.post(f"/api/v1/orders/{b.disputed_id}/resolve", json=resolve, headers=a.h("curator"))
    assert sibling.status_code == 404
    resolved = await client.post(f"/api/v1/orders/{a.disputed_id}/resolve", json=resolve, headers=p.h("curator"))
    assert resolved.status_code == 200 and resolved.json()["state"] == "received", resolved.text


async def test_needs_reviews_and_users_reach_the_markets_below(client, tree):
    p, a, b = tree
    need_list = "/api/v1/admin/needs/list"
    of_a = (await client.get(need_list, headers=a.h("curator"))).json()
    of_p = (await client.get(need_list, headers=p.h("curator"))).json()
    assert of_a["total"] == 2 and of_p["total"] == 6
    # P's needs list counts its districts' 书法培训 as its own 书法培训 (one row, the same category slug)
    assert [(row["category_id"], row["total"]) for row in of_p["items"]] == [(p.category.id, 6)]
    filed = await client.post(
        f"/api/v1/admin/needs/{b.need_ids[0]}/category", json={"category_id": b.category.id}, headers=a.h("curator")
    )
    assert filed.status_code == 404
    filed = await client.post(
        f"/api/v1/admin/needs/{b.need_ids[0]}/category", json={"category_id": b.category.id}, headers=p.h("curator")
    )
    assert filed.status_code == 200, filed.text

    reviews = "/api/v1/admin/reviews"
    assert _ids(await client.get(reviews, headers=a.h("curator"))) == {a.review_id}
    assert _ids(await client.get(reviews, headers=p.h("curator"))) == {m.review_id for m in tree}
    hide = {"reason": "含有联系方式"}
    assert (await client.post(f"{reviews}/{b.review_id}/hide", json=hide, headers=a.h("curator"))).status_code == 404
    assert (await client.post(f"{reviews}/{p.review_id}/hide", json=hide, headers=a.h("curator"))).status_code == 404
    assert (await client.post(f"{reviews}/{a.review_id}/hide", json=hide, headers=p.h("curator"))).status_code == 200

    users = "/api/v1/admin/users"
    people_a = _ids(await client.get(users, params={"limit": 200}, headers=a.h("curator")))
    people_p = _ids(await client.get(users, params={"limit": 200}, headers=p.h("curator")))
    assert b.member.id not in people_a and p.member.id not in people_a and a.member.id in people_a
    assert {a.member.id, b.member.id, p.member.id} <= people_p
    roles = {"roles": ["member", "provider"]}
    assert (await client.put(f"{users}/{b.member.id}/roles", json=roles, headers=a.h("curator"))).status_code == 404
    assert (await client.put(f"{users}/{p.member.id}/roles", json=roles, headers=a.h("curator"))).status_code == 404
    assert (await client.put(f"{users}/{a.member.id}/roles", json=roles, headers=p.h("curator"))).status_code == 200


async def test_categories_stay_each_markets_own(client, tree):
    p, a, b = tree
    patch = {"name_zh": "改名"}
    categories = "/api/v1/admin/categories"
    assert (await client.patch(f"{categories}/{b.category.id}", json=patch, headers=a.h("curator"))).status_code == 404
    assert (await client.patch(f"{categories}/{a.category.id}", json=patch, headers=p.h("curator"))).status_code == 404
    assert (await client.patch(f"{categories}/{a.category.id}", json=patch, headers=a.h("curator"))).status_code == 200


async def test_the_market_api_lists_the_subtree_and_adds_below_it(client, tree):
    p, a, b = tree
    markets = "/api/v1/admin/markets"
    listed = await client.get(markets, headers=p.h("curator"))
    assert [(m["id"], m["depth"]) for m in listed.json()][0] == (p.f.market_id, 0)
    assert {m["id"] for m in listed.json()} == {p.f.market_id, a.f.market_id, b.f.market_id}
    assert [m["id"] for m in (await client.get(markets, headers=a.h("operator"))).json()] == [a.f.market_id]
    assert (await client.get(markets, headers=a.h("member"))).status_code == 403
    slug = f"street-{a.f.market_id}"
    body = {"slug": slug, "name_zh": "街道工会", "name_en": "Street", "parent_id": b.f.market_id}
    assert (await client.post(markets, json=body, headers=a.h("curator"))).status_code == 400  # not A's subtree
    added = await client.post(markets, json={**body, "parent_id": a.f.market_id}, headers=p.h("curator"))
    assert added.status_code == 201 and added.json()["depth"] == 2, added.text
    again = await client.post(markets, json={**body, "parent_id": a.f.market_id}, headers=p.h("curator"))
    assert again.status_code == 409 and "already" in again.json()["detail"]
    parent_id, made = added.json()["id"], None  # A's child is the third level: one more is allowed
    for level in (4, 5):
        step = {**body, "slug": f"{slug}-{level}", "parent_id": parent_id}
        made = await client.post(markets, json=step, headers=p.h("curator"))
        parent_id = made.json().get("id")
    assert made.status_code == 409 and "4 levels" in made.json()["detail"], made.text


async def test_moving_a_market_under_its_own_subtree_is_refused(tree, factory):
    p, a, b = tree
    from marketplace.errors import Conflict

    async with factory.sessionmaker() as db:
        with pytest.raises(Conflict, match="under itself"):
            await market_tree.move(db, p.f.market_id, a.f.market_id)
        with pytest.raises(Conflict, match="under itself"):
            await market_tree.move(db, p.f.market_id, p.f.market_id)


def _counts(stats: dict) -> dict:
    """The figures that add up over markets (averages, medians and top lists are of the pooled data)."""
    trend = stats["trend"]["points"]
    return {
        "orders_by_state": stats["orders_by_state"],
        "funnel": {s["stage"]: s["orders"] for s in stats["funnel"]},
        "visits_served": stats["visits_served"],
        "members_served": stats["members_served"],
        "reviews": stats["reviews"]["count"],
        "histogram": {str(k): n for k, n in stats["reviews"]["histogram"].items()},
        "reorder": (stats["reorder"]["orders"], stats["reorder"]["reorders"]),
        "providers": (stats["providers"]["total"], stats["providers"]["active_90_days"]),
        "listings": sum(d["listings"] for d in stats["listings_by_domain"]),
        "seats": sum(d["seats"] for d in stats["listings_by_domain"]),
        "batches": sum(b["listings"] for b in stats["listings_by_batch"]),
        "durations": (stats["to_acceptance"]["orders"], stats["to_delivery"]["orders"]),
        "trend": [(datetime.fromisoformat(t["starts"]), t["ordered"], t["delivered"], t["reviewed"]) for t in trend],
    }


def _add(*figures: dict) -> dict:
    def plus(x, y):
        if isinstance(x, dict):
            return {k: plus(x.get(k, 0), y.get(k, 0)) for k in x.keys() | y.keys()}
        if isinstance(x, tuple):
            return tuple(plus(i, j) for i, j in zip(x, y, strict=True))
        if isinstance(x, list):
            return [(i[0], *(plus(u, v) for u, v in zip(i[1:], j[1:], strict=True))) for i, j in zip(x, y, strict=True)]
        return x + y

    total = figures[0]
    for more in figures[1:]:
        total = plus(total, more)
    return total


@pytest.mark.parametrize("period", PERIODS)
async def test_a_parent_curators_figures_are_the_sum_of_its_subtree(client, tree, factory, period):
    p, a, b = tree
    ordered = await client.post("/api/v1/orders", json={"listing_id": p.shared.id}, headers=b.h("member"))
    assert ordered.status_code == 201
    stats = "/api/v1/admin/stats"
    of = {}
    for key, m in (("a", a), ("b", b)):
        answer = await client.get(stats, params={"period": period}, headers=m.h("curator"))
        assert answer.status_code == 200, answer.text
        of[key] = _counts(answer.json())
    async with factory.sessionmaker() as db:  # P's own figures: what P's curator sees minus the districts
        own = await insights.stats(db, [p.f.market_id], period, ZoneInfo(factory.settings.time_zone))
        of["p_own"] = _counts(own.model_dump(mode="json"))
    whole = _counts((await client.get(stats, params={"period": period}, headers=p.h("curator"))).json())
    assert whole == _add(of["p_own"], of["a"], of["b"])
    assert whole["orders_by_state"]["reviewed"] == 3 and whole["reviews"] == 3  # it counted the three markets
    assert of["a"]["reviews"] == 1
    a_by_operator = await client.get(stats, params={"period": period}, headers=a.h("operator"))
    assert _counts(a_by_operator.json()) == of["a"]


async def test_the_cli_adds_markets_under_a_parent_and_lists_the_tree(settings, factory):
    from uuid import uuid4

    from marketplace.standalone import add_market, market_lines, move_market

    city, district = f"city-{uuid4().hex[:8]}", f"district-{uuid4().hex[:8]}"
    await add_market(settings, city, "深圳市总工会", "Shenzhen", None)
    await add_market(settings, district, "福田区总工会", "Futian", city)
    lines = await market_lines(settings)
    assert f"{city}  深圳市总工会 / Shenzhen" in lines and f"  {district}  福田区总工会 / Futian" in lines
    assert lines.index(f"  {district}  福田区总工会 / Futian") == lines.index(f"{city}  深圳市总工会 / Shenzhen") + 1
    with pytest.raises(ValueError, match="slug: There is already a market"):
        await add_market(settings, district, "又一个", "Again", city)
    with pytest.raises(ValueError, match="market: There is no market called 'nowhere'"):
        await add_market(settings, f"x-{uuid4().hex[:8]}", "某区", "Some", "nowhere")
    with pytest.raises(ValueError, match="parent: A market cannot be placed under itself"):
        await move_market(settings, city, district)


async def test_moving_a_market_in_the_cli_renews_the_cached_menus_of_it_and_below(settings, factory):
    from uuid import uuid4

    from redis.asyncio import Redis

    from marketplace.standalone import add_market, move_market

    city, district, street = (f"{kind}-{uuid4().hex[:8]}" for kind in ("city", "district", "street"))
    await add_market(settings, city, "深圳市总工会", "Shenzhen", None)
    moved = await add_market(settings, district, "福田区总工会", "Futian", None)
    below = await add_market(settings, street, "沙头街道总工会", "Shatou", district)
    redis = Redis.from_url(settings.redis_url)
    try:

        async def versions() -> list[int]:
            keys = [f"{settings.queue_name}:menu-version:{market_id}" for market_id in (moved, below)]
            return [int(await redis.get(key) or 0) for key in keys]

        before = await versions()
        await move_market(settings, district, city)  # what the city shares below is on both menus now
        after = await versions()
        assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]
    finally:
        await redis.aclose()


async def test_a_market_moved_while_redis_is_away_is_moved_all_the_same(settings, factory):
    from uuid import uuid4

    from marketplace.standalone import add_market, market_lines, move_market

    city, district = f"city-{uuid4().hex[:8]}", f"district-{uuid4().hex[:8]}"
    await add_market(settings, city, "深圳市总工会", "Shenzhen", None)
    await add_market(settings, district, "福田区总工会", "Futian", None)
    away = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # nothing listens there
    await move_market(away, district, city)  # the menus' caches renew within MENU_CACHE_SECONDS instead
    lines = await market_lines(settings)
    assert lines.index(f"  {district}  福田区总工会 / Futian") == lines.index(f"{city}  深圳市总工会 / Shenzhen") + 1
