"""Every state × action that the transition table does not allow is refused with 409 through the API."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.domain.orders import Actor, OrderKind, OrderState, acting_role, find_transition, time_refusal
from marketplace.domain.roles import Role
from marketplace.domain.service_time import ServiceTime

# Each endpoint, the body it needs, and the table actions it can take.
ENDPOINTS = {
    "accept": ({}, ["accept"]),
    "decline": ({"reason": "没空"}, ["decline"]),
    "arrange": ({"place": "会议室"}, ["arrange"]),
    "deliver": ({}, ["deliver"]),
    "no-show": ({}, ["no_show"]),
    "receive": ({}, ["receive"]),
    "dispute": ({"reason": "没来"}, ["dispute"]),
    "resolve": ({"outcome": "received", "reason": "核实"}, ["resolve_received"]),
    "cancel": ({"reason": "有事"}, ["cancel"]),
    "provider-cancel": ({"reason": "临时出差"}, ["provider_cancel"]),
    "review": ({"stars": 5}, ["review"]),
}


@pytest.mark.parametrize("started", [True, False], ids=["started", "upcoming"])
@pytest.mark.parametrize("state", list(OrderState))
async def test_every_action_outside_the_table_or_its_time_is_409(client, factory, state, started):
    # One person who is the member, the provider and a curator, so only the table (and its time guards,
    # for the capacity the event would record: the member first) can refuse.
    everyone = await factory.user(Role.provider, Role.curator, Role.operator)
    owner = await factory.user(Role.provider)
    # one session per endpoint (a member holds one live order per session); started a moment ago, or tomorrow
    days = -0.01 if started else 1
    listing = await factory.listing(owner, await factory.category(), sessions=[(days, 5)] * len(ENDPOINTS))
    headers = factory.headers(everyone)
    caps = {Actor.member, Actor.provider, Actor.operator, Actor.curator}
    for index, (path, (body, actions)) in enumerate(ENDPOINTS.items()):
        order = await factory.order_in_state(everyone, listing, state.value, provider=everyone, session_index=index)
        session = await factory.session_of(order)
        when = ServiceTime(session.starts_at, session.ends_at)
        found = next((t for a in actions if (t := find_transition(state, a, OrderKind.listing))), None)
        response = await client.post(f"/api/v1/orders/{order.id}/{path}", json=body, headers=headers)
        if found is None:
            assert response.status_code == 409, (state, path, response.text)
            assert f"This order is {state.value}" in response.json()["detail"]
            continue
        too_early_or_late = time_refusal(found, acting_role(found, caps), datetime.now(UTC), when)
        if too_early_or_late:
            assert response.status_code == 409, (state, path, response.text)
            assert response.json()["detail"] == too_early_or_late
        else:
            assert response.status_code == 200, (state, path, response.text)
            assert response.json()["events"][-1]["from"] == state.value


async def test_unit_table_covers_every_state_and_action():
    """The table itself: each (state, action, kind) is either one transition or refused."""
    from marketplace.domain.orders import ACTIONS, IllegalTransition, transition

    for state in OrderState:
        for action in ACTIONS:
            for kind in OrderKind:
                found = find_transition(state, action, kind)
                if found is None:
                    with pytest.raises(IllegalTransition):
                        transition(state, action, kind, set(Actor))
                else:
                    assert transition(state, action, kind, set(Actor)).target == found.target


async def test_cross_user_access_is_404_for_each_role(client, factory):
    provider = await factory.user(Role.provider)
    other_provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)])
    member, stranger = await factory.members(2)
    operator = await factory.user(Role.operator)
    order = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    for outsider in (stranger, other_provider):
        h = factory.headers(outsider)
        assert (await client.get(f"/api/v1/orders/{order['id']}", headers=h)).status_code == 404
        assert (await client.post(f"/api/v1/orders/{order['id']}/cancel", json={}, headers=h)).status_code == 404
        assert (await client.post(f"/api/v1/orders/{order['id']}/accept", headers=h)).status_code == 404
        mine = (await client.get("/api/v1/orders", headers=h)).json()
        assert mine["total"] == 0
    # the parties and the staff see it
    for party in (member, provider, operator):
        assert (await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(party))).status_code == 200
    # the member sees no phone of anyone; the provider sees the member's masked phone
    as_member = (await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(member))).json()
    assert as_member["provider"]["phone"] is None
    as_provider = (await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(provider))).json()
    assert as_provider["member"]["phone"] == member.phone[:3] + "****" + member.phone[-4:]
    # the member cannot accept their own order: it is the provider's to accept
    refused = await client.post(f"/api/v1/orders/{order['id']}/accept", headers=factory.headers(member))
    assert refused.status_code == 403
    # a member may not list everyone's orders
    staff_view = await client.get("/api/v1/orders", params={"as": "staff"}, headers=factory.headers(member))
    assert staff_view.status_code == 403


async def test_deliver_before_the_session_started_is_refused(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(1, 5)], auto_accept=True)
    member = await factory.user()
    order = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    early = await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=factory.headers(provider))
    assert early.status_code == 409
    await factory.move_session(order["session"]["id"], timedelta(hours=-1))
    absent = await client.post(
        f"/api/v1/orders/{order['id']}/deliver", json={"attended": False}, headers=factory.headers(provider)
    )
    assert absent.json()["state"] == "no_show"
