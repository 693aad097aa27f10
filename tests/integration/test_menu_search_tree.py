"""The menu's search across the market tree (issue #17, item 3): it reads one menu's candidates through the
index of `menu_search_grams` (keys carrying the market), and finds exactly what the menu holds — the market's
own published listings and what every market above it shares below — at once after a listing changes or a
market moves in the tree; its total comes with the page (one statement) and stays exact past the last page."""

import sqlalchemy as sa

from marketplace.models import Listing
from marketplace.services import market_tree, menu


async def _search(factory, market_id: int, q: str, **more) -> tuple[list[int], int]:
    async with factory.sessionmaker() as db:
        page = await menu.browse(db, market_id, q=q, **more)
    return [item.id for item in page.items], page.total


async def _set(factory, listing: Listing, **values) -> None:
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(Listing).where(Listing.id == listing.id).values(**values))


async def test_a_district_finds_its_own_and_what_every_market_above_shares(factory):
    province = await factory.market_below(name_zh="省总工会")
    city = await factory.market_below(province, name_zh="市总工会")
    district, sibling = await factory.market_below(city), await factory.market_below(city)
    made = {}
    for name, f in (("province", province), ("city", city), ("district", district), ("sibling", sibling)):
        category = await f.category("书法培训", slug=f"shufa-{province.market_id}")
        provider = await f.provider([category])
        made[name] = await f.listing(provider, category, title=f"书法 python {name}", shared_below=True)
        made[name + " kept"] = await f.listing(provider, category, title=f"书法 python {name} kept")
        made[name + " draft"] = await f.listing(
            provider, category, title=f"书法 python {name} draft", state="draft", shared_below=True
        )
    menu_of_district = {made["province"].id, made["city"].id, made["district"].id, made["district kept"].id}

    for q in ("书法", "python", "书法 python", "书"):  # Chinese pairs, a whole Latin word, both, a lone character
        ids, total = await _search(factory, district.market_id, q)
        assert set(ids) == menu_of_district and total == 4, q
    assert await _search(factory, district.market_id, "pyth") == ([], 0)  # Latin words match whole
    assert await _search(factory, district.market_id, "书法 kept") == ([made["district kept"].id], 1)
    city_menu = {made["province"].id, made["city"].id, made["city kept"].id}
    assert set((await _search(factory, city.market_id, "书法"))[0]) == city_menu
    assert set((await _search(factory, province.market_id, "书法"))[0]) == {
        made["province"].id,
        made["province kept"].id,
    }


async def test_the_search_follows_a_listing_and_a_market_at_once(factory):
    city, other_city = await factory.market_below(name_zh="市总工会"), await factory.market_below(name_zh="市总工会")
    district = await factory.market_below(city)
    listings = {}
    for name, f in (("city", city), ("other city", other_city), ("district", district)):
        category = await f.category("心理咨询")
        provider = await f.provider([category])
        listings[name] = await f.listing(provider, category, title=f"心理 {name}", shared_below=True)
    assert set((await _search(factory, district.market_id, "心理"))[0]) == {
        listings["city"].id,
        listings["district"].id,
    }

    await _set(factory, listings["city"], shared_below=False)  # kept by the city now
    await _set(factory, listings["district"], state="paused")
    assert await _search(factory, district.market_id, "心理") == ([], 0)
    await _set(factory, listings["district"], state="published", title="心理 district", search_text="育儿 district")
    assert await _search(factory, district.market_id, "心理") == ([], 0)  # the text is what is searched
    assert await _search(factory, district.market_id, "育儿") == ([listings["district"].id], 1)

    async with factory.sessionmaker() as db, db.begin():  # the district moves under the other city
        await market_tree.move(db, district.market_id, other_city.market_id)
    assert set((await _search(factory, district.market_id, "心理"))[0]) == {listings["other city"].id}
    async with factory.sessionmaker() as db, db.begin():  # and to the top: its own menu only
        await market_tree.move(db, district.market_id, None)
    assert await _search(factory, district.market_id, "心理") == ([], 0)


async def test_the_total_comes_with_the_page_and_past_the_last_one(factory):
    market = await factory.market_below()
    category = await market.category("亲子活动")
    provider = await market.provider([category])
    made = [await market.listing(provider, category, title=f"亲子 {n}") for n in range(5)]
    made.append(await market.listing(provider, category, title="周末", summary="亲子 手工"))
    ids, total = await _search(market, market.market_id, "亲子", limit=2)
    assert total == 6 and ids == [made[4].id, made[3].id]  # titles with the word first, newest first
    ids, total = await _search(market, market.market_id, "亲子", limit=2, offset=4)
    assert total == 6 and ids == [made[0].id, made[5].id]  # the summary's match last
    assert await _search(market, market.market_id, "亲子", limit=2, offset=6) == ([], 6)
    assert await _search(market, market.market_id, "亲子", limit=2, offset=60) == ([], 6)
    assert await _search(market, market.market_id, "亲子 c++") == ([], 0)  # a term without grams: the text decides
    assert await _search(market, market.market_id, "c++") == ([], 0)


async def _oracle(factory, market_id: int, sort: str, **where) -> list[int]:
    """The whole menu in its order, from one plain query over market_tree.menu_condition (what the menu read
    before it was split into one index range per market)."""
    async with factory.sessionmaker() as db:
        above = await market_tree.ancestor_ids(db, market_id)
        soon = menu._computed_next_session()
        order = {
            "new": (Listing.published_at.desc().nulls_last(), Listing.id.desc()),
            "rating": (Listing.rating_score.desc().nulls_last(), Listing.id.desc()),
            "soon": (soon.asc().nulls_last(), Listing.id.desc()),
        }[sort]
        query = sa.select(Listing.id).where(
            market_tree.menu_condition(market_id, above), Listing.state == "published", *where.values()
        )
        return list((await db.execute(query.order_by(*order))).scalars())


async def test_every_order_and_page_of_a_district_menu_merges_its_parts_exactly(factory):
    province = await factory.market_below(name_zh="省总工会")
    city = await factory.market_below(province, name_zh="市总工会")
    district = await factory.market_below(city)
    n = 0
    for f, shared in ((province, True), (province, False), (city, True), (city, False), (district, False)):
        category = await f.category("编程入门")
        provider = await f.provider([category])
        for k in range(4):
            n += 1
            listing = await f.listing(
                provider,
                category,
                title=f"编程 {n}",
                shared_below=shared,
                mode="online" if k % 2 else "offline",
                sessions=[(1 + (n * 7) % 11, 5)] if k != 3 else [],  # one in four without sessions
            )
            # publication and rating interleaved across the markets, some equal, some missing
            await _set(
                factory,
                listing,
                published_at=None if n == 5 else sa.func.now() - sa.text(f"interval '{(n * 5) % 13} hours'"),
                rating_score=None if k == 0 else float((n * 3) % 7),
            )
    on_menu = 12  # the district's 4, the city's 4 shared, the province's 4 shared
    for sort in ("new", "rating", "soon"):
        for where, asked in (({}, {}), ({"online": Listing.mode == "online"}, {"mode": "online"})):
            expected = await _oracle(factory, district.market_id, sort, **where)
            assert len(expected) == (on_menu if not where else on_menu // 2)
            for limit, offset in ((20, 0), (5, 0), (5, 5), (5, 10), (3, 4), (5, 20)):
                async with factory.sessionmaker() as db:
                    page = await menu.browse(db, district.market_id, sort=sort, limit=limit, offset=offset, **asked)
                assert page.total == len(expected), (sort, asked)
                assert [i.id for i in page.items] == expected[offset : offset + limit], (sort, asked, limit, offset)


async def test_a_statement_built_once_serves_every_menu_of_its_shape(factory):
    """The menu's statements are built once per shape (markets above, kinds of terms, filters, order) and every
    value is bound per request: two sibling districts of one city, searched alike, each find their own menu."""
    city = await factory.market_below(name_zh="市总工会")
    districts = [await factory.market_below(city), await factory.market_below(city)]
    category = await city.category("编程入门")
    shared = await city.listing(await city.provider([category]), category, title="编程 python 市", shared_below=True)
    own = []
    for n, district in enumerate(districts):
        mine = await district.category("编程入门")
        provider = await district.provider([mine])
        own.append(await district.listing(provider, mine, title=f"编程 python {n}", mode="online", sessions=[]))
        await district.listing(provider, mine, title=f"编程 python {n} 线下", mode="offline")
    shape = menu._Shape(1, (False,), True, frozenset({"mode"}), False, "new")
    assert menu._menu_statements(shape) is menu._menu_statements(shape)  # built once

    for q in ("编程", "python", "编程 python"):
        for n, district in enumerate(districts):
            ids, total = await _search(factory, district.market_id, q, mode="online")
            assert (ids, total) == ([own[n].id], 1), (q, n)  # the city's listing is offline
            ids, total = await _search(factory, district.market_id, q, limit=1, offset=1)
            assert total == 3 and len(ids) == 1, (q, n)
    assert (await _search(factory, districts[1].market_id, "市"))[0] == [shared.id]
