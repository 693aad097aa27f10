"""PostgreSQL unreachable under load: every request answers 503 with Retry-After (JSON on the API, a page in
the visitor's language on the pages), never 500; once the database is back the same app serves again, and
orders retried with their idempotency keys are placed exactly once."""

import asyncio
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from marketplace import auth
from marketplace.app import create_app
from marketplace.domain.roles import Role
from marketplace.models import ListingSession, Order, OrderEvent, OutboxJob

from ..outages import CuttableProxy

MEMBERS = 60


@pytest.fixture
async def proxy(settings):
    found = CuttableProxy(settings.database_url)
    found.mend()
    yield found
    found.close()


def _cookie(factory, member, lang: str | None = None) -> dict[str, str]:
    cookie = f"{auth.SESSION_COOKIE}={auth.issue_token(factory.settings, member.id)}"
    return {"Cookie": cookie + (f"; mkt_lang={lang}" if lang else "")}


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert int(response.headers["retry-after"]) > 0


async def test_an_unreachable_database_answers_503_and_the_app_recovers_by_itself(
    settings, factory, engine, proxy, client
):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, MEMBERS)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    crowd = await factory.members(MEMBERS)
    body = {"listing_id": listing.id, "session_id": session_id}
    local = settings.model_copy(update={"database_url": proxy.database_url})

    async with AsyncTestClient(app=create_app(local)) as app:

        async def order(n: int):
            headers = {**factory.headers(crowd[n]), "Idempotency-Key": f"outage-{n}"}
            return await app.post("/api/v1/orders", json=body, headers=headers)

        answers: dict[int, list] = {n: [] for n in range(MEMBERS)}
        others: list = []
        cut_at = mended_at = None

        async def member(n: int) -> None:
            # each member orders, then looks at their orders on the API and on a page, over and over
            while time.monotonic() < stop_at:
                answers[n].append((time.monotonic(), await order(n)))
                others.append(await app.get("/api/v1/orders", headers=factory.headers(crowd[n])))
                others.append(await app.get("/orders", headers=_cookie(factory, crowd[n])))
                await asyncio.sleep(0.05)  # a person's pace, not a tight loop of refusals

        stop_at = time.monotonic() + 6
        load = asyncio.gather(*(member(n) for n in range(MEMBERS)))
        await asyncio.sleep(1)
        proxy.cut()
        cut_at = time.monotonic()
        await asyncio.sleep(0.5)
        # while it is away: a JSON 503 on the API, a page in Chinese (or English) on the pages
        api = await app.get("/api/v1/orders", headers=factory.headers(crowd[0]))
        page_zh = await app.get("/orders", headers=_cookie(factory, crowd[0]))
        page_en = await app.get("/orders", headers=_cookie(factory, crowd[0], "en"))
        await asyncio.sleep(2)
        proxy.mend()
        mended_at = time.monotonic()
        await load

        for response in (api, page_zh, page_en):
            _assert_unavailable(response)
        assert set(api.json()) == {"status_code", "detail", "extra"} and api.json()["status_code"] == 503
        assert "请稍后再试" in page_zh.text and "try again shortly" not in page_zh.text
        assert "try again shortly" in page_en.text

        everything = [r for n in answers for _, r in answers[n]] + others
        statuses = Counter(r.status_code for r in everything)
        assert set(statuses) <= {200, 201, 503}, statuses  # no 500, nothing else
        assert statuses[503] > 0 and statuses[200] > 0
        for response in everything:
            if response.status_code == 503:
                _assert_unavailable(response)
        # every request that started while the database was away was answered 503 …
        during = [r for n in answers for at, r in answers[n] if cut_at + 0.2 < at < mended_at]
        assert during and {r.status_code for r in during} == {503}
        # … and the same app serves again without a restart
        assert {(await order(n)).status_code for n in range(MEMBERS)} == {201}
        assert (await app.get("/orders", headers=_cookie(factory, crowd[0]))).status_code == 200

    async with engine.connect() as conn:
        placed = Counter(
            (await conn.execute(sa.select(Order.member_id).where(Order.session_id == session_id))).scalars()
        )
        taken = (
            await conn.execute(sa.select(ListingSession.seats_taken).where(ListingSession.id == session_id))
        ).scalar_one()
        events = Counter((await conn.execute(sa.select(OrderEvent.order_id))).scalars())
        keys = (await conn.execute(sa.select(OutboxJob.dedupe_key))).scalars()
        reminders = Counter(key.split(":")[1] for key in keys if key.startswith("order:"))
    assert placed == {member.id: 1 for member in crowd}  # one order each, however often it was retried
    assert taken == MEMBERS
    assert len(set(events.values())) == 1 and len(events) == MEMBERS  # every order with the same timeline
    assert len(set(reminders.values())) == 1 and len(reminders) == MEMBERS  # and the same reminders
