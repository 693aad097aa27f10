"""The satisfaction survey after sign-off, and the follow-up cases poor answers open (issue #14, item 6)."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent

GOOD = {"overall": 5, "as_arranged": True, "recommend": True, "comment": "很好"}
POOR = {"overall": 2, "as_arranged": True, "recommend": False, "comment": "老师迟到了半小时"}


async def _signed_off(factory, n: int = 1, state: str = "received"):
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, sessions=[(-1, 20)])
    members = await factory.members(n)
    orders = [await factory.order_in_state(m, listing, state) for m in members]
    return members, orders


async def test_a_member_answers_once_after_sign_off_and_a_good_answer_opens_no_case(client, factory):
    (member, other), (order, _) = await _signed_off(factory, 2)
    url = f"/api/v1/orders/{order.id}/survey"
    assert (await client.post(url, json=GOOD)).status_code == 401
    assert (await client.post(url, json=GOOD, headers=factory.headers(other))).status_code == 404
    answered = await client.post(url, json=GOOD, headers=factory.headers(member))
    assert answered.status_code == 201, answered.text
    assert answered.json() | {"created_at": None} == {**GOOD, "order_id": order.id, "case_id": None, "created_at": None}
    again = await client.post(url, json=GOOD, headers=factory.headers(member))
    assert again.status_code == 409 and again.json()["extra"]["field"] == "order_id"
    staff = factory.headers(await factory.user(Role.operator))
    assert (await client.get("/api/v1/admin/cases", headers=staff)).json() == {"items": [], "total": 0}


async def test_the_survey_waits_for_sign_off_and_refuses_bad_answers(client, factory):
    (member,), (order,) = await _signed_off(factory, 1, state="delivered")
    url = f"/api/v1/orders/{order.id}/survey"
    early = await client.post(url, json=GOOD, headers=factory.headers(member))
    assert early.status_code == 409
    for bad in ({**GOOD, "overall": 0}, {**GOOD, "overall": 6}, {"overall": 3}, {**GOOD, "as_arranged": "也许"}, {}):
        refused = await client.post(url, json=bad, headers=factory.headers(member))
        assert refused.status_code == 400, (bad, refused.text)


async def test_a_poor_answer_opens_a_case_that_operators_contact_then_resolve(client, factory, engine):
    (member, second), (order, other) = await _signed_off(factory, 2, state="reviewed")
    opened = await client.post(f"/api/v1/orders/{order.id}/survey", json=POOR, headers=factory.headers(member))
    case_id = opened.json()["case_id"]
    assert opened.status_code == 201 and case_id is not None
    late = {**GOOD, "as_arranged": False}  # a good mark but not as arranged: poor too
    assert (await client.post(f"/api/v1/orders/{other.id}/survey", json=late, headers=factory.headers(second))).json()[
        "case_id"
    ] is not None

    operator, provider = await factory.user(Role.operator), await factory.provider()
    staff = factory.headers(operator)
    assert (await client.get("/api/v1/admin/cases", headers=factory.headers(member))).status_code == 403
    assert (await client.get("/api/v1/admin/cases", headers=factory.headers(provider))).status_code == 403
    listed = (await client.get("/api/v1/admin/cases?state=open", headers=staff)).json()
    assert listed["total"] == 2
    first = listed["items"][0]
    assert first["id"] == case_id and first["state"] == "open" and first["overall"] == 2
    assert first["comment"] == "老师迟到了半小时" and "*" in first["member_phone"]  # masked

    url = f"/api/v1/admin/cases/{case_id}"
    early = {"note": "已处理", "outcome": "remedied"}
    assert (await client.post(f"{url}/resolve", json=early, headers=staff)).status_code == 409
    assert (await client.post(f"{url}/contact", json={"note": " "}, headers=staff)).status_code == 400
    assert (await client.post(f"{url}/close", json={"note": "x"}, headers=staff)).status_code == 404
    contacted = await client.post(f"{url}/contact", json={"note": "已电话联系，老师道歉"}, headers=staff)
    assert contacted.status_code == 200 and contacted.json()["state"] == "contacted"
    unsaid = await client.post(f"{url}/resolve", json={"note": "下期优先安排"}, headers=staff)
    assert unsaid.status_code == 400 and "outcome" in unsaid.text  # what came of it?
    odd = await client.post(f"{url}/resolve", json={"note": "下期优先安排", "outcome": "forgotten"}, headers=staff)
    assert odd.status_code == 400 and "outcome" in odd.text
    assert (await client.get("/api/v1/admin/cases?state=contacted", headers=staff)).json()["total"] == 1
    resolved = await client.post(f"{url}/resolve", json={"note": "下期优先安排", "outcome": "remedied"}, headers=staff)
    assert resolved.json()["state"] == "resolved" and resolved.json()["resolution"] == "下期优先安排"
    assert resolved.json()["outcome"] == "remedied" and resolved.json()["contact_note"] == "已电话联系，老师道歉"
    assert (await client.post(f"{url}/contact", json={"note": "再联系"}, headers=staff)).status_code == 409
    assert (await client.get("/api/v1/admin/cases?state=resolved", headers=staff)).json()["total"] == 1
    assert (await client.get("/api/v1/admin/cases?state=lost", headers=staff)).status_code == 400
    assert (
        await client.post("/api/v1/admin/cases/99999/contact", json={"note": "x"}, headers=staff)
    ).status_code == 404
    async with engine.connect() as conn:
        audited = (await conn.execute(sa.select(AuditEvent.action).where(AuditEvent.target_id == case_id))).scalars()
        assert sorted(audited) == ["contact_case", "resolve_case"]


async def test_a_review_of_one_or_two_stars_opens_a_case_and_a_poor_survey_joins_it(client, factory):
    (member, fair, happy), (order, middling, liked) = await _signed_off(factory, 3)
    review = f"/api/v1/orders/{order.id}/review"
    reviewed = await client.post(review, json={"stars": 2, "text": "等了很久"}, headers=factory.headers(member))
    assert reviewed.status_code in (200, 201), reviewed.text
    for who, other, stars in ((fair, middling, 3), (happy, liked, 5)):
        body = {"stars": stars}
        assert (
            await client.post(f"/api/v1/orders/{other.id}/review", json=body, headers=factory.headers(who))
        ).is_success
    staff = factory.headers(await factory.user(Role.operator))
    listed = (await client.get("/api/v1/admin/cases", headers=staff)).json()
    assert listed["total"] == 1  # 3 and 5 stars open nothing
    case = listed["items"][0]
    assert case["order_id"] == order.id and case["stars"] == 2 and case["overall"] is None and case["state"] == "open"
    # the member then answers the survey poorly too: the same case, now with the answers
    answered = await client.post(f"/api/v1/orders/{order.id}/survey", json=POOR, headers=factory.headers(member))
    assert answered.status_code == 201 and answered.json()["case_id"] == case["id"]
    again = (await client.get("/api/v1/admin/cases", headers=staff)).json()
    assert again["total"] == 1 and again["items"][0]["overall"] == 2 and again["items"][0]["recommend"] is False
