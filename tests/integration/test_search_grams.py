"""The menu's search through the GIN-indexed grams finds exactly what a plain reading of the texts finds."""

import random
import re

import sqlalchemy as sa

from marketplace.domain import search

WORDS = ["书法", "培训", "硬笔", "心理", "咨询", "劳动", "合同", "急救", "腰", "AI", "python", "C++", "学", "100%"]


async def test_every_substring_s_grams_are_among_its_text_s_grams(engine):
    rng = random.Random(20261130)
    texts = [
        "".join(rng.choice(WORDS + ["（", " ", "、"]) for _ in range(rng.randint(1, 8))).lower() for _ in range(60)
    ]
    async with engine.connect() as connection:
        grams = [set((await connection.execute(sa.select(sa.func.search_grams(t)))).scalar_one()) for t in texts]
    for text, held in zip(texts, grams, strict=True):
        for _ in range(20):
            start = rng.randrange(len(text))
            term = text[start : rng.randint(start + 1, len(text))].strip()
            if term and " " not in term and _plainly_matches(text, term):
                assert set(search.query_grams(term)) <= held, (text, term)


def _plainly_matches(text: str, term: str) -> bool:
    if search.is_english_word(term):
        return re.search(f"(^|[^a-z0-9]){re.escape(term)}([^a-z0-9]|$)", text) is not None
    return term in text


async def test_the_menu_finds_what_a_plain_reading_finds(client, factory):
    provider = await factory.user()
    category = await factory.category("兴趣培训", name_en="Hobbies")
    rng = random.Random(7)
    listings = {}
    for n in range(30):
        title = "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        listing = await factory.listing(provider, category, title=f"{title}{n}", summary=rng.choice(WORDS))
        listings[listing.id] = listing
    finding = 0
    for q in ["书法", "法培", "腰", "ai", "python", "c++", "100%", "学ai", "心理 咨询", "硬笔书", "急救 ai", "培训"]:
        found = {
            item["id"] for item in (await client.get("/api/v1/listings", params={"q": q, "limit": 100})).json()["items"]
        }
        expected = {
            i
            for i, listing in listings.items()
            if all(_plainly_matches(listing.search_text, term) for term in search.terms(q))
        }
        assert found & listings.keys() == expected, q
        finding += bool(expected)
    assert finding >= 8  # most queries find something, so the comparison says something
