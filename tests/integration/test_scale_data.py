"""The province-scale generator (bench/scale_data.py) at a fiftieth of the demo: the invariants the app relies
on hold in what it writes, and the app reads it (so the generator cannot silently rot)."""

from bench.scale_data import build, problems


async def test_generated_data_keeps_the_apps_invariants(settings, client):
    built = await build(settings.database_url, 0.05, quiet=True)
    assert built.counts["orders"] > 50 and built.counts["order_events"] > built.counts["orders"]
    assert built.counts["reviews"] > 0 and built.counts["notifications"] > 0
    assert await problems(settings.database_url) == []

    menu = await client.get("/api/v1/listings?limit=5")
    assert menu.status_code == 200 and menu.json()["items"]
    listing = menu.json()["items"][0]
    assert (await client.get(f"/api/v1/listings/{listing['id']}")).status_code == 200


async def test_generated_markets_form_a_province_tree_and_share_below(settings, client, factory):
    import sqlalchemy as sa

    from marketplace.models import Listing
    from marketplace.services import market_tree

    built = await build(settings.database_url, 0.05, quiet=True, markets=6)
    assert await problems(settings.database_url) == []
    district = built.markets[0]  # the benchmarks' market (the app's default) is a district
    async with factory.sessionmaker() as db:
        above = await market_tree.ancestor_ids(db, district)
        assert len(above) == 2  # its city, then the province
        province = above[-1]
        assert set(await market_tree.subtree_ids(db, province)) == set(built.markets)
        shared = await db.scalar(
            sa.select(sa.func.count()).where(Listing.market_id.in_(above), Listing.shared_below.is_(True))
        )
    assert shared > 0
    menu = await client.get("/api/v1/listings?limit=100")  # a visitor: the default market's menu
    markets = {item["id"] for item in menu.json()["items"]}
    async with factory.sessionmaker() as db:
        where = set((await db.execute(sa.select(Listing.market_id).where(Listing.id.in_(markets)))).scalars())
    assert district in where and where <= {district, *above}
