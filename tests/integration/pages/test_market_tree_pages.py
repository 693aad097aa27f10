"""The market tree on the desk pages: a parent's curator works across its districts, a district's does not
see its sibling's or its parent's (the curator's main pages of the access matrix), and exports follow."""

import pytest

from ..test_market_tree import tree  # noqa: F401  (the fixture: P above two sibling districts A and B)
from .conftest import Pages


def _as(client, market, role: str) -> Pages:
    pages = Pages(client, market.f)
    pages.logout()
    pages.login(getattr(market, role))
    return pages


@pytest.mark.parametrize(
    ("path", "shows"),
    [
        ("/desk/approvals", lambda m: m.waiting.title),
        ("/desk/orders", lambda m: m.listing.title),
        ("/desk/reviews", lambda m: m.listing.title),
        ("/desk/batches", lambda m: f"第一批 {m.f.market_id}"),
        ("/desk/export/orders.csv", lambda m: m.listing.title),
        ("/desk/export/reviews.csv", lambda m: m.listing.title),
    ],
)
async def test_desk_pages_reach_down_the_tree_and_not_sideways_or_up(client, tree, path, shows):  # noqa: F811
    p, a, b = tree
    of_a = await _as(client, a, "curator").get(path)
    assert of_a.status_code == 200, of_a.text
    assert shows(a) in of_a.text and shows(b) not in of_a.text and shows(p) not in of_a.text
    of_p = await _as(client, p, "curator").get(path)
    assert of_p.status_code == 200
    assert all(shows(m) in of_p.text for m in tree)


async def test_the_markets_page_lists_the_subtree_with_figures_and_adds_below(client, tree):  # noqa: F811
    p, a, b = tree
    desk = _as(client, p, "curator")
    page = await desk.get("/desk/markets")
    assert page.status_code == 200
    subtree = (await client.get("/api/v1/admin/markets", headers=p.h("curator"))).json()
    assert len(subtree) == 3 and all(m["slug"] in page.text and m["name_zh"] in page.text for m in subtree)
    added = await desk.post(
        "/desk/markets",
        {"parent_id": str(a.f.market_id), "slug": f"jd-{a.f.market_id}", "name_zh": "街道", "name_en": "Street"},
    )
    assert added.status_code == 303, added.text
    assert f"jd-{a.f.market_id}" in (await desk.get("/desk/markets")).text
    refused = await desk.post("/desk/markets", {"parent_id": str(a.f.market_id), "slug": "Bad Slug", "name_zh": "x"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text
    district = _as(client, a, "curator")
    own = (await district.get("/desk/markets")).text
    assert f"jd-{a.f.market_id}" in own
    sibling = await district.post(
        "/desk/markets",
        {"parent_id": str(b.f.market_id), "slug": f"jd-{b.f.market_id}", "name_zh": "街道", "name_en": "S"},
    )
    assert sibling.status_code == 400  # B is not in A's subtree: refused with the field
    member = _as(client, a, "member")
    assert (await member.get("/desk/markets")).status_code in (302, 303, 403)


async def test_a_district_member_browses_their_market_and_what_the_city_shares(client, tree):  # noqa: F811
    p, a, b = tree
    member = _as(client, a, "member")
    menu = (await member.get("/menu")).text
    assert a.listing.title in menu and p.shared.title in menu
    assert b.listing.title not in menu and p.listing.title not in menu
    assert (await member.get(f"/listings/{p.shared.id}")).status_code == 200
    assert (await member.get(f"/listings/{b.listing.id}")).status_code == 404
    ordered = await member.post(f"/listings/{p.shared.id}/order", {})
    assert ordered.status_code == 303, ordered.text  # ordered from the listing page
    sibling = await member.post(f"/listings/{b.listing.id}/order", {})
    assert sibling.status_code in (403, 404)
