"""The roster's pages: a curator imports a roster (upload, mapping, preview, progress, bad rows in Chinese),
searches it and sets "verified members only"; a member asks for verification on their page, a curator
approves or declines it on the desk; the listing page tells an unverified member up front."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Market, User
from marketplace.services import roster

from ..workers.test_roster import roster_csv


async def test_a_curator_imports_a_roster_through_the_pages(pages, factory):
    curator = await factory.user(Role.curator)
    member = await factory.user(name="周骑手")
    pages.login(curator)
    assert (await pages.get("/desk/roster")).status_code == 200
    empty = await pages.post_files("/desk/roster", {"file": ("a.csv", b"", "text/csv")})
    assert empty.status_code == 400 and "文件是空的" in empty.text
    rows = [["1", "周骑手", member.phone, "NS-1", "顺丰工会", "新就业形态劳动者"], ["2", "错号", "123", "", "", ""]]
    made = await pages.post_files("/desk/roster", {"file": ("名册.csv", roster_csv(rows), "text/csv")})
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    shown = await pages.get(location)
    assert shown.status_code == 200 and "新就业形态劳动者" in shown.text and "123 不是手机号码" in shown.text
    import_id = location.rsplit("/", 1)[1]
    mapped = await pages.post(f"/desk/roster/imports/{import_id}/mapping", {"name": "1", "phone": ""})
    assert mapped.status_code == 400 and "请选择手机号码所在的列" in mapped.text
    started = await pages.post(f"/desk/roster/imports/{import_id}/start")
    assert started.status_code == 303
    running = await pages.get(f"/desk/roster/imports/{import_id}")
    assert 'data-progress="/desk/roster/imports/' in running.text
    async with factory.sessionmaker() as db, db.begin():  # the worker's job, here
        assert (await roster.run_batch(db, int(import_id), chain=False))["done"]
    progress = (await pages.get(f"/desk/roster/imports/{import_id}/progress")).json()
    assert progress["state"] == "done" and progress["verified"] == 1 and progress["bad"] == 1
    done = await pages.get(f"/desk/roster/imports/{import_id}")
    assert 'id="bad-rows"' in done.text and "123 不是手机号码" in done.text
    found = await pages.get("/desk/roster", params={"q": "NS-1"})
    assert "周骑手" in found.text and "已注册" in found.text
    assert "错号" not in (await pages.get("/desk/roster")).text
    saved = await pages.post("/desk/roster/settings", {"verified_only": "1"})
    assert saved.status_code == 303
    async with factory.sessionmaker() as db:
        assert (await db.get(Market, curator.market_id)).verified_only is True
        assert (await db.get(User, member.id)).verified_at is not None


async def test_a_member_asks_on_their_page_and_a_curator_decides_on_the_desk(pages, factory):
    provider, curator = await factory.user(Role.provider), await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), verified_only=True, auto_accept=True)
    member = await factory.user(name="小周")
    pages.login(member)
    told = await pages.get(f"/listings/{listing.id}")
    assert 'id="verify-first"' in told.text and 'href="/me/verification"' in told.text
    refused = await pages.post(f"/listings/{listing.id}/order", {"session_id": ""})
    assert refused.status_code in (400, 403)
    bad = await pages.post("/me/verification", {"union_card": "卡#1", "workplace": "", "note": ""})
    assert bad.status_code == 400 and "会员卡号只能包含" in bad.text
    asked = await pages.post(
        "/me/verification", {"union_card": "NS-9", "workplace": "美团", "groups": ["new_employment"], "note": ""}
    )
    assert asked.status_code == 303 and "ok=verification_asked" in asked.headers["location"]
    assert "等待工会审核" in (await pages.get("/me/verification")).text

    pages.login(curator)
    listed = await pages.get("/desk/verifications")
    assert "小周" in listed.text and "美团" in listed.text
    async with factory.sessionmaker() as db:
        request_id = (await db.execute(sa.text("SELECT id FROM verification_requests"))).scalar_one()
    empty = await pages.post(f"/desk/verifications/{request_id}/decline", {"reason": ""})
    assert empty.status_code == 400
    approved = await pages.post(f"/desk/verifications/{request_id}/approve", {"groups": ["new_employment"]})
    assert approved.status_code == 303 and "ok=verification_approved" in approved.headers["location"]
    again = await pages.post(f"/desk/verifications/{request_id}/approve", {"groups": []})
    assert again.status_code == 409 and "这条申请已处理" in again.text

    pages.login(member)
    mine = await pages.get("/me/verification")
    assert "已实名认证" in mine.text
    assert 'id="verify-first"' not in (await pages.get(f"/listings/{listing.id}")).text
