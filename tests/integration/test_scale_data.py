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
