"""PIPL (issue #12): a phone revealed only with a reason, audited; a member's data downloaded; an account
deleted — anonymised, its orders kept in the union's figures."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, Order, Review, SatisfactionSurvey, User, VerificationRequest

from ..factories import PASSWORD


async def test_staff_reveal_a_phone_only_with_a_reason_kept_in_the_audit_trail(client, factory):
    operator, member, stranger = await factory.user(Role.operator), await factory.user(), await factory.user()
    o = factory.headers(operator)
    no_reason = await client.post(f"/api/v1/admin/users/{member.id}/phone", json={}, headers=o)
    assert no_reason.status_code == 400
    shown = await client.post(f"/api/v1/admin/users/{member.id}/phone", json={"reason": "回访电话"}, headers=o)
    assert shown.status_code == 200 and shown.json() == {"phone": member.phone}
    refused = await client.post(
        f"/api/v1/admin/users/{member.id}/phone", json={"reason": "好奇"}, headers=factory.headers(stranger)
    )
    assert refused.status_code == 403
    async with factory.sessionmaker() as db:
        [event] = (await db.execute(sa.select(AuditEvent).where(AuditEvent.action == "reveal_phone"))).scalars()
    assert (event.actor_id, event.target_id, event.data["reason"]) == (operator.id, member.id, "回访电话")


async def test_a_member_downloads_their_data_and_only_theirs(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), auto_accept=True)
    member, other = await factory.members(2)
    mine = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(other))
    await client.post("/api/v1/me/verification", json={"workplace": "南山工会"}, headers=factory.headers(member))
    data = await client.get("/api/v1/me/data", headers=factory.headers(member))
    assert data.status_code == 200 and "attachment" in data.headers["content-disposition"]
    found = data.json()
    assert found["account"]["phone"] == member.phone and [o["id"] for o in found["orders"]] == [mine["id"]]
    assert [e["action"] for e in found["orders"][0]["events"]] == ["place", "auto_accept"]
    assert found["login_sessions"]  # where they are logged in
    assert [r["workplace"] for r in found["verification_requests"]] == ["南山工会"]  # what they told the union


async def test_a_deleted_account_is_anonymised_its_orders_stay_and_nobody_logs_in_with_it(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), auto_accept=True)
    member = await factory.user(name="王晓明")
    m = factory.headers(member)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    live = await client.post("/api/v1/me/delete", json={"password": PASSWORD}, headers=m)
    assert live.status_code == 409  # a seat and a provider are waiting on it
    await client.post(f"/api/v1/orders/{order['id']}/cancel", json={}, headers=m)
    wrong = await client.post("/api/v1/me/delete", json={"password": "not-it"}, headers=m)
    assert wrong.status_code == 400 and wrong.json()["extra"]["field"] == "password"
    reviewed = await factory.order_in_state(member, listing, "received")
    review = await client.post(
        f"/api/v1/orders/{reviewed.id}/review", json={"stars": 5, "text": "王老师很耐心"}, headers=m
    )
    assert review.status_code == 200, review.text
    await client.post("/api/v1/me/verification", json={"union_card": "NS-1", "note": "骑手"}, headers=m)
    done = await client.post("/api/v1/me/delete", json={"password": PASSWORD}, headers=m)
    assert done.status_code == 204
    assert (await client.get("/api/v1/me", headers=m)).status_code == 401  # logged out everywhere
    login = await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": PASSWORD})
    assert login.status_code == 401
    async with factory.sessionmaker() as db:
        gone = await db.get(User, member.id)
        kept = await db.get(Order, order["id"])
    assert (gone.name, gone.is_active) == ("已注销用户", False) and member.phone not in gone.phone
    assert kept.member_id == member.id  # the order stays, for the union's figures
    async with factory.sessionmaker() as db:
        [kept_review] = (await db.execute(sa.select(Review).where(Review.member_id == member.id))).scalars()
    assert (kept_review.stars, kept_review.text) == (5, "")  # the rating counts; the words were theirs
    async with factory.sessionmaker() as db:
        [asked] = (await db.execute(sa.select(VerificationRequest))).scalars()
    assert (asked.union_card, asked.note, asked.state) == ("", "", "closed")  # what they told the union goes
    staff = await client.post(
        "/api/v1/me/delete", json={"password": PASSWORD}, headers=factory.headers(await factory.user(Role.curator))
    )
    assert staff.status_code == 403


async def test_reviews_of_a_confidential_category_show_the_public_only_the_stars(client, factory):
    """Counselling and legal help (PIPL): a review shows the public neither who wrote it nor its words;
    the author, the provider and the union's staff still read it. Marking a domain covers its children."""
    curator = await factory.user(Role.curator)
    legal = await factory.category("法律咨询")
    labour = await factory.category("劳动争议", parent=legal)
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, labour, auto_accept=True)
    member = await factory.user(name="钱师傅")
    order = await factory.order_in_state(member, listing, "received")
    written = await client.post(
        f"/api/v1/orders/{order.id}/review",
        json={"stars": 4, "tags": ["professional"], "text": "公司拖欠三个月工资"},
        headers=factory.headers(member),
    )
    assert written.status_code == 200, written.text

    async def seen(headers=None) -> dict:
        answer = await client.get(f"/api/v1/listings/{listing.id}/reviews", headers=headers or {})
        return answer.json()["items"][0]

    before = await seen()
    assert before["text"] == "公司拖欠三个月工资" and before["member_name"] == "钱**"  # not yet confidential
    marked = await client.patch(
        f"/api/v1/admin/categories/{legal.id}", json={"confidential": True}, headers=factory.headers(curator)
    )
    assert marked.status_code == 200 and marked.json()["confidential"] is True
    public = await seen()
    assert (public["member_name"], public["text"], public["tags"], public["stars"]) == ("匿名职工", "", [], 4)
    for insider in (member, provider, curator):
        assert (await seen(factory.headers(insider)))["text"] == "公司拖欠三个月工资"


async def test_the_satisfaction_answers_are_in_the_download_and_their_words_go_with_the_account(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category())
    member = await factory.user(name="李师傅")
    m = factory.headers(member)
    order = await factory.order_in_state(member, listing, "received")
    body = {"overall": 2, "as_arranged": False, "recommend": False, "comment": "老师换成了李四，电话13800001111"}
    assert (await client.post(f"/api/v1/orders/{order.id}/survey", json=body, headers=m)).status_code == 201
    mine = (await client.get("/api/v1/me/data", headers=m)).json()["satisfaction_surveys"]
    assert [(a["order_id"], a["overall"], a["comment"]) for a in mine] == [(order.id, 2, body["comment"])]
    assert (await client.post("/api/v1/me/delete", json={"password": PASSWORD}, headers=m)).status_code in (200, 204)
    async with factory.sessionmaker() as db:
        kept = await db.get(SatisfactionSurvey, order.id)
    assert kept.overall == 2 and kept.comment == ""  # the mark counts on, the words are gone
