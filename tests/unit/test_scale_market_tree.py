"""bench/scale_data.py's market tree: 1 province → cities → districts, the benchmarks' market a district."""

from collections import Counter

from bench.scale_data import MARKET, market_slug, market_tree


def test_thirty_markets_make_one_province_five_cities_and_twenty_four_districts():
    parents = market_tree(30)
    assert parents[1] is None and parents.count(None) == 1  # the province
    cities = {rank for rank, parent in enumerate(parents) if parent == 1}
    assert len(cities) == 5
    districts = [rank for rank, parent in enumerate(parents) if parent in cities]
    assert len(districts) == 24 and 0 in districts
    assert max(Counter(parents[d] for d in districts).values()) == 5  # spread over the cities in turn
    slugs = [market_slug(rank, parent) for rank, parent in enumerate(parents)]
    assert slugs[0] == MARKET and slugs[1] == "province" and len(set(slugs)) == 30


def test_small_factors_make_a_small_tree_or_none():
    assert market_tree(1) == [None]
    assert market_tree(2) == [1, None]  # the benchmarks' market right under the province
    assert market_tree(3) == [2, None, 1]
