"""CSV exports: text that anyone can type (names, titles, reviews) never reaches a spreadsheet as a formula."""

import csv
import io
from datetime import timedelta

from marketplace.domain.roles import Role
from marketplace.services.exports import neutral_cell

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "＝1+1"]


def test_cells_starting_like_a_formula_are_neutralised():
    for text in FORMULAS:
        assert neutral_cell(text) == "'" + text
    assert neutral_cell("刘师傅") == "刘师傅"
    assert neutral_cell(-3) == -3  # numbers are numbers
    assert neutral_cell("") == ""


async def test_orders_and_reviews_csv_carry_no_live_formula(pages, factory, client):
    category = await factory.category()
    provider = await factory.provider([category], name="@provider")
    listing = await factory.listing(provider, category, title="=1+1 书法", auto_accept=True)
    member = await factory.user(name='=HYPERLINK("http://evil.example")')
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    session = (await factory.sessions_of(listing))[0]
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    review = {"stars": 1, "text": "-cmd|' /C calc'!A0"}
    assert (await client.post(f"/api/v1/orders/{order['id']}/review", json=review, headers=m)).status_code == 200

    pages.login(await factory.user(Role.curator))
    for path, texts in [
        ("/desk/export/orders.csv", [member.name, listing.title, "@provider"]),
        ("/desk/export/reviews.csv", [review["text"], listing.title, "@provider"]),
    ]:
        answer = await pages.get(path)
        assert answer.status_code == 200
        cells = [cell for row in csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))) for cell in row]
        for text in texts:
            assert "'" + text in cells, (path, text)
        assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not c[1:].isdigit())], path
