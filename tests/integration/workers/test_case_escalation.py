"""Overdue follow-up cases (回访) are escalated to the curators by the deadline scan: once per state, and
never once the case moved on (issue #14, item 6)."""

from datetime import timedelta

from marketplace.domain.roles import Role
from marketplace.models import FollowUpCase, User
from marketplace.models.base import utcnow

from ..test_satisfaction import POOR, _signed_off


async def test_an_overdue_case_goes_to_the_curators_once_per_state_and_never_when_handled(client, factory, jobs):
    (member, other), (order, handled) = await _signed_off(factory, 2)
    curator, away = await factory.user(Role.curator), await factory.user(Role.curator)
    outsider = await (await factory.other_market()).user(Role.curator)
    await jobs.edit(User, away.id, is_active=False)
    operator = factory.headers(await factory.user(Role.operator))
    case_id = (
        await client.post(f"/api/v1/orders/{order.id}/survey", json=POOR, headers=factory.headers(member))
    ).json()["case_id"]
    quick_id = (
        await client.post(f"/api/v1/orders/{handled.id}/survey", json=POOR, headers=factory.headers(other))
    ).json()["case_id"]
    # the second case is contacted at once: not overdue at 48 hours
    assert (
        await client.post(f"/api/v1/admin/cases/{quick_id}/contact", json={"note": "已联系"}, headers=operator)
    ).is_success

    now = utcnow()
    assert (await jobs.scan(now + timedelta(hours=47)))["escalate_case"] == 0
    later = now + timedelta(hours=49)
    assert (await jobs.scan(later))["escalate_case"] == 1
    await jobs.drain(later)
    told = await jobs.notices(curator.id, "case_overdue")
    assert len(told) == 1 and told[0].data["case_id"] == case_id
    assert await jobs.notices(away.id, "case_overdue") == [] and await jobs.notices(outsider.id, "case_overdue") == []
    assert (await jobs.scan(later + timedelta(hours=1)))["escalate_case"] == 0  # once in this state
    listed = (await client.get("/api/v1/admin/cases?state=open", headers=operator)).json()["items"]
    assert listed[0]["id"] == case_id and listed[0]["escalated_at"] is not None

    # contacted late, then not resolved within a week of the opening: escalated again, in its new state
    assert (
        await client.post(f"/api/v1/admin/cases/{case_id}/contact", json={"note": "已联系"}, headers=operator)
    ).is_success
    week = now + timedelta(hours=169)
    assert (await jobs.scan(week))["escalate_case"] == 2  # both cases, contacted, unresolved
    resolved = await client.post(
        f"/api/v1/admin/cases/{quick_id}/resolve", json={"note": "已改约", "outcome": "remedied"}, headers=operator
    )
    assert resolved.is_success  # resolved before its job ran: the job leaves it alone
    await jobs.drain(week)
    told = await jobs.notices(curator.id, "case_overdue")
    assert [n.data["case_id"] for n in told] == [case_id, case_id]
    async with jobs.sessionmaker() as db:
        quick = await db.get(FollowUpCase, quick_id)
        assert quick.escalated_at is None and quick.state == "resolved"
