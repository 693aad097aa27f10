"""The hotline (12351): an operator finds a caller by full phone number or union card number, orders, cancels
and posts a need on their behalf; the timeline, the audit trail and the member's notices say so (issue #16,
item 4)."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, HotlineCall, Notification, OrderEvent, User

URL = "/api/v1/admin/hotline/calls"


async def _market(factory):
    category = await factory.category("法律咨询")
    provider = await factory.provider([category], name="李律师")
    listing = await factory.listing(provider, category, title="劳动合同咨询", sessions=[(3, 10)])
    operator = await factory.user(Role.operator, name="话务员小陈")
    member = await factory.user(name="快递员老王")
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(User).where(User.id == member.id).values(union_card="NS-2026-0001"))
    return category, listing, operator, member


async def test_an_operator_orders_and_cancels_for_a_caller_and_everyone_can_see_who_did_it(client, factory):
    category, listing, operator, member = await _market(factory)
    staff = factory.headers(operator)
    masked = member.phone[:3] + "****" + member.phone[-4:]
    for refused, status in (
        ({"phone": masked, "reason": "来电咨询"}, 400),  # a masked number finds no one
        ({"phone": member.phone[:7], "reason": "来电咨询"}, 400),
        ({"phone": "13999999999", "reason": "来电咨询"}, 400),
        ({"phone": member.phone}, 400),  # no reason
        ({"reason": "来电咨询"}, 400),
        ({"phone": member.phone, "card": "NS-2026-0001", "reason": "来电"}, 400),
    ):
        answer = await client.post(URL, json=refused, headers=staff)
        assert answer.status_code == status, (refused, answer.text)
    assert (
        await client.post(URL, json={"phone": member.phone, "reason": "x"}, headers=factory.headers(member))
    ).status_code == 403

    call = await client.post(URL, json={"card": "NS-2026-0001", "reason": "会员来电要预约法律咨询"}, headers=staff)
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    assert call.json()["member"]["name"] == "快递员老王" and call.json()["member"]["phone"] == member.phone

    ordered = await client.post(f"{URL}/{call_id}/orders", json={"listing_id": listing.id}, headers=staff)
    assert ordered.status_code == 201, ordered.text
    order = ordered.json()
    assert order["state"] in ("accepted", "offered")
    assert order["events"][0]["by_operator"] == "话务员小陈"
    mine = await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(member))
    assert mine.status_code == 200 and mine.json()["events"][0]["action"] == "place"
    assert mine.json()["events"][0]["by_operator"] == "话务员小陈"

    again = await client.post(f"{URL}/{call_id}/orders", json={"listing_id": listing.id}, headers=staff)
    assert again.status_code == 409  # the member's own rules: one live order per session

    cancelled = await client.post(
        f"{URL}/{call_id}/orders/{order['id']}/cancel", json={"reason": "会员临时有事"}, headers=staff
    )
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    other = await factory.user()
    stranger_order = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(other)
    )
    refused = await client.post(
        f"{URL}/{call_id}/orders/{stranger_order.json()['id']}/cancel", json={"reason": "错了"}, headers=staff
    )
    assert refused.status_code == 404  # only the caller's own orders

    need = await client.post(
        f"{URL}/{call_id}/needs", json={"category_id": category.id, "title": "想咨询工伤认定"}, headers=staff
    )
    assert need.status_code == 201 and need.json()["kind"] == "need"

    ended = await client.post(f"{URL}/{call_id}/end", json={"topic": "order", "outcome": "follow_up"}, headers=staff)
    assert ended.status_code == 400 and "follow_up_on" in ended.text
    ended = await client.post(
        f"{URL}/{call_id}/end",
        json={"topic": "order", "outcome": "follow_up", "follow_up_on": "2026-12-05", "note": "下周回访"},
        headers=staff,
    )
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    late = await client.post(f"{URL}/{call_id}/orders", json={"listing_id": listing.id}, headers=staff)
    assert late.status_code == 409  # an ended call acts no more

    async with factory.sessionmaker() as db:
        marked = (
            await db.execute(
                sa.select(OrderEvent.action, OrderEvent.data["operator_name"].astext)
                .where(OrderEvent.order_id == order["id"])
                .order_by(OrderEvent.id)
            )
        ).all()
        audit = (await db.execute(sa.select(AuditEvent.action, AuditEvent.data).order_by(AuditEvent.id))).all()
        told = (
            (
                await db.execute(
                    sa.select(Notification.kind).where(Notification.user_id == member.id).order_by(Notification.id)
                )
            )
            .scalars()
            .all()
        )
    assert [name for _, name in marked] == ["话务员小陈"] * len(marked) and marked[-1][0] == "cancel"
    assert [a for a, _ in audit] == ["hotline_lookup", "hotline_order", "hotline_cancel", "hotline_need"]
    assert audit[0][1]["reason"] == "会员来电要预约法律咨询"
    assert {"hotline_order", "hotline_cancel", "hotline_need"} <= set(told)


async def test_a_call_log_entry_needs_no_member_and_calls_to_return_come_first(client, factory):
    _, _, operator, member = await _market(factory)
    staff = factory.headers(operator)
    logged = await client.post(
        f"{URL}/log", json={"topic": "question", "outcome": "resolved", "note": "问驿站开放时间"}, headers=staff
    )
    assert logged.status_code == 201 and logged.json()["member"] is None and logged.json()["ended_at"]
    assert (
        await client.post(f"{URL}/log", json={"topic": "weather", "outcome": "resolved"}, headers=staff)
    ).status_code == 400
    await client.post(
        f"{URL}/log", json={"topic": "complaint", "outcome": "follow_up", "follow_up_on": "2026-12-01"}, headers=staff
    )
    listed = (await client.get(URL, headers=staff)).json()
    assert listed["total"] == 2 and listed["items"][0]["outcome"] == "follow_up"
    async with factory.sessionmaker() as db:
        assert await db.scalar(sa.select(sa.func.count()).select_from(HotlineCall)) == 2
