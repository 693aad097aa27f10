"""抽签 on a phone: a member registers for a lottery session, sees the commitment and the draw time, and after
the draw the result and how to check it (issue #15)."""

from datetime import timedelta

from playwright.async_api import expect

from marketplace.db import make_sessionmaker
from marketplace.domain import lottery as rules
from marketplace.domain.roles import Role
from marketplace.models.base import utcnow
from marketplace.services import lottery

from .helpers import log_in


async def test_member_registers_for_a_draw_and_checks_the_result(page, factory, client, engine, settings):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(
        provider, await factory.category("夏令营"), title="暑期夏令营", sessions=[(10, 1)], auto_accept=True
    )
    session_id = (await factory.sessions_of(listing))[0].id
    now = utcnow()
    draw = {
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "draw_at": (now + timedelta(hours=2)).isoformat(),
    }
    r = await client.put(f"/api/v1/admin/sessions/{session_id}/draw", json=draw, headers=factory.headers(curator))
    assert r.status_code == 200, r.text
    commitment = r.json()["commitment"]
    member = await factory.user(name="刘师傅")
    others = [await factory.user() for _ in range(3)]

    await log_in(page, member.phone)
    await page.goto(f"/listings/{listing.id}")
    await expect(page.get_by_text("抽签：报名中")).to_be_visible()
    await expect(page.get_by_text("开奖时间")).to_be_visible()
    await expect(page.locator("[data-commitment]")).to_have_text(commitment)
    await page.get_by_role("button", name="报名抽签").click()
    await expect(page.get_by_role("status")).to_contain_text("已报名抽签")
    await expect(page.locator(".badge").first).to_have_text("已报名抽签")
    await page.reload()  # a refresh after the POST changes nothing
    await expect(page.locator(".badge").first).to_have_text("已报名抽签")

    for other in others:
        r = await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(other)
        )
        assert r.status_code == 201 and r.json()["state"] == "registered"
    sessionmaker = make_sessionmaker(engine, settings)
    async with sessionmaker() as db, db.begin():
        assert await lottery.run(db, session_id, now=utcnow() + timedelta(hours=3)) == "drawn"

    await page.goto(f"/listings/{listing.id}")
    await expect(page.get_by_text("抽签：已开奖")).to_be_visible()
    await expect(page.get_by_text("已开奖：4 人报名，1 人中签。")).to_be_visible()
    await page.get_by_role("link", name="抽签公示 / 如何验证").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("抽签公示")
    await expect(page.get_by_role("heading", name="如何验证")).to_be_visible()
    seed = await page.locator("[data-seed]").inner_text()
    assert rules.commitment(seed) == commitment
    await expect(page.get_by_text("您的报名号")).to_be_visible()
    await expect(page.get_by_text("marketplace verify-draw")).to_be_visible()
