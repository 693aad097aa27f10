"""The 我的 page's data download and account deletion (issue #12, PIPL)."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, User

from ...factories import PASSWORD


async def test_the_me_page_downloads_and_deletes(pages, factory):
    member = await factory.user()
    pages.login(member)
    me = await pages.get("/me")
    assert 'href="/me/data.json"' in me.text and 'action="/me/delete"' in me.text
    data = await pages.get("/me/data.json")
    assert data.json()["account"]["name"] == member.name
    refused = await pages.post("/me/delete", {"delete_password": "wrong"})
    assert refused.status_code == 400 and "密码不正确" in refused.text
    deleted = await pages.post("/me/delete", {"delete_password": PASSWORD})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/?ok=deleted"
    async with factory.sessionmaker() as db:
        assert (await db.get(User, member.id)).name == "已注销用户"


async def test_staff_show_a_whole_number_on_the_desk_only_with_a_reason(pages, factory):
    """The desk's accounts page: each account's number masked, a form to see it whole that asks why; an
    empty reason is refused beside its field; the reason is kept in the audit trail; another market's
    account is not found."""
    operator = await factory.user(Role.operator, name="蒋志愿者")
    member = await factory.user(name="沈师傅")
    masked = member.phone[:3] + "****" + member.phone[-4:]
    pages.login(operator)
    listed = (await pages.get("/desk/accounts", params={"q": "沈"})).text
    assert masked in listed and member.phone not in listed and f'action="/desk/accounts/{member.id}/phone"' in listed

    empty = await pages.post(f"/desk/accounts/{member.id}/phone", {"reason": "  ", "q": "沈"})
    assert empty.status_code == 400 and member.phone not in empty.text
    assert f'id="e-{member.id}.reason"' in empty.text
    shown = await pages.post(f"/desk/accounts/{member.id}/phone", {"reason": "电话回访", "q": "沈"})
    assert shown.status_code == 200 and member.phone in shown.text
    assert shown.headers["cache-control"] == "no-store"
    again = (await pages.get("/desk/accounts", params={"q": "沈"})).text
    assert member.phone not in again  # shown once, not kept

    elsewhere = await factory.other_market()
    stranger = await elsewhere.user(name="外区会员")
    other = await pages.post(f"/desk/accounts/{stranger.id}/phone", {"reason": "好奇"})
    assert other.status_code == 404 and stranger.phone not in other.text
    pages.login(member)
    assert (await pages.post(f"/desk/accounts/{member.id}/phone", {"reason": "x"})).status_code == 403

    async with factory.sessionmaker() as db:
        events = (await db.execute(sa.select(AuditEvent).where(AuditEvent.action == "reveal_phone"))).scalars().all()
    assert [(e.actor_id, e.target_id, e.data["reason"]) for e in events] == [(operator.id, member.id, "电话回访")]
