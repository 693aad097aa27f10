from datetime import UTC, datetime, timedelta

import pytest

from marketplace.domain.orders import (
    LIVE_STATES,
    SEAT_HOLDING_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    Actor,
    ActorNotAllowed,
    IllegalTransition,
    OrderKind,
    OrderState,
    acting_role,
    actions_for,
    time_refusal,
    transition,
)
from marketplace.domain.service_time import ServiceTime


def test_every_transition_goes_between_known_states_and_out_of_no_terminal_state():
    for t in TRANSITIONS:
        assert t.source in OrderState and t.target in OrderState
        assert t.source not in TERMINAL_STATES, t
        assert t.actors and t.kinds


def test_the_happy_path_of_a_listing_order():
    state, kind = OrderState.placed, OrderKind.listing
    for action, actor, expected in [
        ("offer", Actor.system, "offered"),
        ("accept", Actor.provider, "accepted"),
        ("arrange", Actor.provider, "accepted"),
        ("deliver", Actor.provider, "delivered"),
        ("receive", Actor.member, "received"),
        ("review", Actor.member, "reviewed"),
    ]:
        state = transition(state, action, kind, {actor}).target
        assert state == expected


def test_decline_depends_on_the_kind():
    assert transition(OrderState.offered, "decline", OrderKind.need, {Actor.provider}).target == OrderState.placed
    assert transition(OrderState.offered, "decline", OrderKind.listing, {Actor.provider}).target == OrderState.declined


def test_refusals_name_the_state_or_the_actor():
    with pytest.raises(IllegalTransition, match="This order is delivered"):
        transition(OrderState.delivered, "cancel", OrderKind.listing, {Actor.member})
    with pytest.raises(ActorNotAllowed, match="member"):
        transition(OrderState.delivered, "receive", OrderKind.listing, {Actor.provider})
    with pytest.raises(IllegalTransition):
        transition(OrderState.placed, "waitlist", OrderKind.need, {Actor.system})  # needs have no seats
    with pytest.raises(IllegalTransition):
        transition(OrderState.accepted, "reassign", OrderKind.listing, {Actor.curator})  # a listing has its provider


def test_members_cancel_only_before_delivery():
    cancellable = {t.source for t in TRANSITIONS if t.action == "cancel"}
    assert cancellable == {OrderState.placed, OrderState.offered, OrderState.accepted, OrderState.waitlisted}


def test_a_provider_cancels_only_an_accepted_listing_order_and_only_their_own_move():
    found = transition(OrderState.accepted, "provider_cancel", OrderKind.listing, {Actor.provider})
    assert found.target == OrderState.cancelled and found.window is not None
    assert {t.source for t in TRANSITIONS if t.action == "provider_cancel"} == {OrderState.accepted}
    with pytest.raises(IllegalTransition):  # an offer is declined, not cancelled
        transition(OrderState.offered, "provider_cancel", OrderKind.listing, {Actor.provider})
    with pytest.raises(IllegalTransition):  # a need goes back to the operators' reassignment instead
        transition(OrderState.accepted, "provider_cancel", OrderKind.need, {Actor.provider})
    for other in (Actor.member, Actor.operator, Actor.curator, Actor.system):
        with pytest.raises(ActorNotAllowed):
            transition(OrderState.accepted, "provider_cancel", OrderKind.listing, {other})
    assert "provider_cancel" in actions_for(OrderState.accepted, OrderKind.listing, {Actor.provider})
    assert "provider_cancel" not in actions_for(OrderState.accepted, OrderKind.listing, {Actor.member})


def test_seat_holding_states_are_live_and_live_states_are_not_terminal():
    assert SEAT_HOLDING_STATES <= LIVE_STATES
    assert not LIVE_STATES & TERMINAL_STATES


def test_actions_for_shows_what_each_party_may_do_and_hides_system_moves():
    assert actions_for(OrderState.offered, OrderKind.listing, {Actor.provider}) == ["accept", "decline"]
    assert actions_for(OrderState.offered, OrderKind.listing, {Actor.member}) == ["cancel"]
    assert actions_for(OrderState.delivered, OrderKind.listing, {Actor.member}) == ["receive", "dispute"]
    assert "auto_receive" not in actions_for(OrderState.delivered, OrderKind.listing, set(Actor))
    assert actions_for(OrderState.reviewed, OrderKind.need, set(Actor)) == []


def test_acting_role_prefers_the_party_over_the_staff_role():
    found = transition(OrderState.placed, "cancel", OrderKind.listing, {Actor.member, Actor.curator})
    assert acting_role(found, {Actor.member, Actor.curator}) == Actor.member
    assert acting_role(found, {Actor.curator}) == Actor.curator


def test_delivery_waits_for_the_session_or_the_arrangements():
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    deliver = transition(OrderState.accepted, "deliver", OrderKind.listing, {Actor.provider})
    session_later = ServiceTime(now + timedelta(minutes=1), now + timedelta(hours=1))
    session_begun = ServiceTime(now - timedelta(minutes=1), now + timedelta(hours=1))
    assert time_refusal(deliver, Actor.provider, now, session_later)
    assert time_refusal(deliver, Actor.provider, now, session_begun) is None
    assert time_refusal(deliver, Actor.provider, now, ServiceTime())  # on request, nothing agreed yet
    assert time_refusal(deliver, Actor.provider, now, ServiceTime(arranged=True)) is None  # a place, no time
